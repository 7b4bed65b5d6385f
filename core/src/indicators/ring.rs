//! A fixed-capacity ring buffer: the window of every rolling indicator,
//! allocated inline, never on the heap.

/// The last `N` values pushed, oldest first.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ring<T: Copy + Default, const N: usize> {
    buf: [T; N],
    /// Index of the oldest value.
    head: usize,
    len: usize,
}

impl<T: Copy + Default, const N: usize> Ring<T, N> {
    /// `i mod N` for `i < 2N` (a compare instead of a division by `N`).
    #[inline(always)]
    fn wrap(i: usize) -> usize {
        debug_assert!(i < 2 * N);
        if i >= N {
            i - N
        } else {
            i
        }
    }

    pub(crate) fn new() -> Self {
        assert!(N > 0, "a ring needs a capacity");
        Ring {
            buf: [T::default(); N],
            head: 0,
            len: 0,
        }
    }

    /// Appends `v`; returns the value it pushed out when the ring was full.
    #[inline]
    pub(crate) fn push(&mut self, v: T) -> Option<T> {
        if self.len < N {
            let at = Self::wrap(self.head + self.len);
            self.buf[at] = v;
            self.len += 1;
            None
        } else {
            let old = self.buf[self.head];
            self.buf[self.head] = v;
            self.head = Self::wrap(self.head + 1);
            Some(old)
        }
    }

    /// The oldest value, if any.
    #[inline]
    pub(crate) fn front(&self) -> Option<T> {
        (self.len > 0).then(|| self.buf[self.head])
    }

    /// Drops the oldest value.
    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        let v = self.front()?;
        self.head = Self::wrap(self.head + 1);
        self.len -= 1;
        Some(v)
    }

    /// The `i`-th value, oldest first.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> T {
        debug_assert!(i < self.len);
        self.buf[Self::wrap(self.head + i)]
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.len == N
    }

    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    /// The values as two slices, oldest first (the second is empty unless
    /// the values wrap around the end of the buffer).
    #[inline]
    pub(crate) fn as_slices(&self) -> (&[T], &[T]) {
        let end = self.head + self.len;
        if end <= N {
            (&self.buf[self.head..end], &[])
        } else {
            (&self.buf[self.head..], &self.buf[..end - N])
        }
    }

    /// The values, oldest first.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = T> + '_ {
        (0..self.len).map(move |i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::Ring;

    #[test]
    fn keeps_the_last_n_in_order() {
        let mut r: Ring<i32, 3> = Ring::new();
        assert_eq!(r.push(1), None);
        assert_eq!(r.push(2), None);
        assert_eq!(r.push(3), None);
        assert!(r.is_full());
        assert_eq!(r.push(4), Some(1));
        assert_eq!(r.iter().collect::<Vec<_>>(), [2, 3, 4]);
        assert_eq!(r.pop_front(), Some(2));
        assert_eq!(r.iter().collect::<Vec<_>>(), [3, 4]);
        // 3 sits at the end of the buffer, 4 wrapped to its start.
        assert_eq!(r.as_slices(), (&[3][..], &[4][..]));
        r.push(5);
        r.push(6);
        assert_eq!(r.iter().collect::<Vec<_>>(), [4, 5, 6]);

        r.clear();
        assert_eq!(r.len(), 0);
        assert_eq!(r.front(), None);
    }
}

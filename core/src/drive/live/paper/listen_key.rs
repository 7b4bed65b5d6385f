//! The listen-key fallback's I/O: its link on the driver's mio loop, its
//! REST requests on the `rest` thread, and the answers fed back to the
//! [`ListenKeyStream`](crate::orders::user_stream::ListenKeyStream) state
//! machine. Its frames go through the order side's
//! one frame path ([`super::on_frame`]).

use super::{on_frame, OrderSide, Source};
use crate::drive::live::{wall_ns, LiveDriver, Sink};
use crate::engine::Decide;
use crate::feed::conn::{Progress, WsConn};
use crate::orders::user_stream::{KeepAliveOutcome, KeyOp, ListenKey, StreamAction};
use crate::rest::RestRequest;
use mio::Token;
use std::time::Instant;

impl<D: Decide, S: Sink> LiveDriver<D, S> {
    /// A readiness event on the listen-key link: its events through the
    /// same path as the WS-API's.
    pub(in crate::drive::live) fn on_user_stream_ready(&mut self) {
        let Some(o) = self.orders.as_mut() else {
            return;
        };
        let OrderSide {
            gateway,
            portfolio,
            counters,
            us_conn,
            us_template,
            pairs,
            dedup,
            ..
        } = o;
        let Some((c, _)) = us_conn.as_mut() else {
            return;
        };
        let mut expired: Option<ListenKey> = None;
        let result = c.drive(us_template, &mut |bytes: &[u8]| {
            if let Some(k) = on_frame(
                gateway,
                portfolio,
                counters,
                dedup,
                pairs,
                Source::ListenKey,
                bytes,
                wall_ns(),
            ) {
                expired = Some(k);
            }
        });
        let wall = wall_ns();
        if let Some(k) = expired {
            o.user_stream.on_expired(k.as_str(), wall);
        }
        match result {
            Ok(Progress::Opened) => {
                o.user_stream.on_open();
                // Reports of the gap before this stream may be lost.
                o.gateway.audit_open_orders(wall);
            }
            Ok(_) => {}
            Err(e) => {
                self.counters.last_error = Some(format!("listen-key stream: {e}"));
                self.user_stream_down();
            }
        }
        self.order_actions();
        self.user_stream_actions();
    }

    /// The listen-key link is lost or failed to open.
    pub(in crate::drive::live) fn user_stream_down(&mut self) {
        let Some(o) = self.orders.as_mut() else {
            return;
        };
        if let Some((c, _)) = o.us_conn.take() {
            c.close(self.poll.registry());
        }
        o.user_stream.on_down(wall_ns());
    }

    /// Carries out what the listen-key fallback asks for.
    pub(in crate::drive::live) fn user_stream_actions(&mut self) {
        loop {
            let wall = wall_ns();
            let Some(o) = self.orders.as_mut() else {
                return;
            };
            let Some(a) = o.user_stream.poll(wall) else {
                return;
            };
            let ask = |op: KeyOp, key: Option<ListenKey>, me: &mut Self| -> bool {
                let req = crate::limiter::weights::Endpoint::UserDataStream.request();
                let Some(o) = me.orders.as_mut() else {
                    return false;
                };
                if o.gateway.limiter.admit(&req, wall).is_err() {
                    return false;
                }
                me.rest
                    .ask(RestRequest::UserStream { op, key }, Instant::now())
            };
            match a {
                StreamAction::RequestKey => {
                    if !ask(KeyOp::Create, None, self) {
                        if let Some(o) = self.orders.as_mut() {
                            o.counters.listen_key_refused += 1;
                            o.user_stream.on_key(None, wall);
                        }
                    }
                }
                StreamAction::KeepAlive(k) => {
                    if !ask(KeyOp::KeepAlive, Some(k), self) {
                        if let Some(o) = self.orders.as_mut() {
                            o.counters.listen_key_refused += 1;
                            o.user_stream
                                .on_keepalive(&k, KeepAliveOutcome::Failed, wall);
                        }
                    }
                }
                StreamAction::CloseKey(k) => {
                    // Best effort: an unclosed key expires by itself.
                    if !ask(KeyOp::Close, Some(k), self) {
                        if let Some(o) = self.orders.as_mut() {
                            o.counters.listen_key_refused += 1;
                        }
                    }
                }
                StreamAction::Connect(k) => {
                    let id = self.next_conn_id;
                    self.next_conn_id = self.next_conn_id.wrapping_add(1);
                    let Some(o) = self.orders.as_mut() else {
                        return;
                    };
                    let url = o.us_base.with_path(&format!("/ws/{}", k.as_str())).ws_url();
                    o.us_template.url = url;
                    o.us_started = Instant::now();
                    match WsConn::connect(self.poll.registry(), Token(id as usize), &o.us_template)
                    {
                        Ok(c) => o.us_conn = Some((c, id)),
                        Err(e) => {
                            self.counters.last_error = Some(format!("listen-key stream: {e}"));
                            o.user_stream.on_down(wall);
                        }
                    }
                }
                StreamAction::Disconnect => {
                    if let Some((c, _)) = o.us_conn.take() {
                        c.close(self.poll.registry());
                    }
                }
            }
        }
    }

    /// The answer to a listen-key request.
    pub(in crate::drive::live) fn on_user_stream_rest_reply(
        &mut self,
        op: KeyOp,
        key: Option<ListenKey>,
        reply: crate::rest::RestReply,
    ) {
        let Some(o) = self.orders.as_mut() else {
            return;
        };
        let wall = wall_ns();
        let (status, code, body_key) = match &reply.result {
            Ok(ans) => {
                for (name, value) in &ans.limit_headers {
                    // A malformed header is the server's problem; ignored.
                    let _ = o.gateway.limiter.observe_header(name, value, wall);
                }
                let v = serde_json::from_slice::<serde_json::Value>(&ans.body).ok();
                let code = v
                    .as_ref()
                    .and_then(|v| v.get("code")?.as_i64())
                    .and_then(|c| i32::try_from(c).ok());
                if ans.status == 429 || ans.status == 418 {
                    o.gateway.limiter.on_http_status(
                        ans.status,
                        code,
                        ans.retry_after.map(|d| d.as_secs()),
                        wall,
                    );
                }
                let body_key = v
                    .as_ref()
                    .and_then(|v| v.get("listenKey")?.as_str())
                    .and_then(ListenKey::new);
                (ans.status, code, body_key)
            }
            Err(e) => {
                self.counters.last_error = Some(format!("listen key: {e}"));
                (0, None, None)
            }
        };
        let Some(o) = self.orders.as_mut() else {
            return;
        };
        match op {
            KeyOp::Create if status == 410 => {
                o.counters.last_refusal = Some(
                    "listen keys are gone here (HTTP 410): user data only through the WS-API"
                        .into(),
                );
                o.user_stream.on_unavailable();
            }
            KeyOp::Create => {
                let got = body_key.filter(|_| status == 200);
                if got.is_none() {
                    o.counters.last_refusal =
                        Some(format!("listen key: HTTP {status}, code {code:?}"));
                }
                o.user_stream.on_key(got, wall);
            }
            KeyOp::KeepAlive => {
                let outcome = match (status, code) {
                    (200, _) => KeepAliveOutcome::Ok,
                    (_, Some(-1125)) => KeepAliveOutcome::Gone,
                    _ => KeepAliveOutcome::Failed,
                };
                if let Some(k) = key {
                    o.user_stream.on_keepalive(&k, outcome, wall);
                }
            }
            KeyOp::Close => {}
        }
        self.user_stream_actions();
    }
}

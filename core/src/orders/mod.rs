//! Orders: the state machine applied from executionReports, the fixed-capacity
//! order table, and client order ids.

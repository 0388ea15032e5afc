// Package fsm is the BGP-4 finite state machine of RFC 4271 section 8 as a
// pure, deterministic core: a Machine takes one Event at a time and returns
// the Actions the caller must carry out (send an OPEN, start a timer, drop
// the TCP connection, process an UPDATE, ...). It does no I/O, reads no
// clock and starts no goroutine, so it can be driven by a network session,
// by a test in virtual time, or by a property test against the RFC's
// transition table.
//
// Standards:
//   - RFC 4271 section 8: the states, the 28 events, the ConnectRetry,
//     Hold, Keepalive, DelayOpen and IdleHold timers, the optional
//     session attributes (DelayOpen, passive TCP establishment,
//     collision detection in Established, NOTIFICATION without OPEN).
//   - RFC 4271 section 4.2 and 10: hold time negotiation (0 or at least
//     3 seconds), keepalive at most a third of the hold time, and the
//     75% to 100% jitter of ConnectRetry and Keepalive.
//   - RFC 4271 section 6.8: connection collision detection (Collision).
//   - RFC 6608: the FSM error subcodes sent for unexpected messages.
//
// Peer oscillation damping is outside the scope of RFC 4271; here the
// IdleHold timer is how a Machine restarts itself after a failure when
// Config.AutoRestart is set (events 6, 7 and 13).
package fsm

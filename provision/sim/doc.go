// Package sim simulates a start storm in virtual time: N instances reach
// their first-logon command at the same instant and each registers in a
// shared database that serves C requests at a time, each taking Latency.
// A request arriving when C are in service and Queue are waiting is
// refused (an overload failure; the refusal itself takes Refuse); the
// instance then asks its [jitter.Gate] when to retry, and gives up as
// Failed after MaxAttempts.
//
// The simulator is a discrete-event loop over a heap of timestamped
// events, not goroutines and sleeps, so a run of 1000 instances takes
// milliseconds and is exactly reproducible from its seed. Each instance
// walks the provision lifecycle (FirstLogon, Busy, Ready or Failed) with
// virtual timestamps. [Run] measures peak requests in the database,
// overload failures, database calls and completion-time percentiles;
// [WriteTable] and [WriteSVG] report them.
//
// No RFC governs this package.
package sim

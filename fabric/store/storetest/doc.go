// Package storetest is the conformance suite every store.Store backend
// passes: Run checks the documented semantics one by one (conditions,
// typed errors, limits, atomic batches, watch replay, lagging watchers,
// Close), and RunModel is a pgregory.net/rapid property that applies random
// sequences of operations to a backend and to a simple model and checks
// they agree. Bench holds the benchmarks every backend runs, and
// CrashWriter, RunAndKill and CheckCrashBatch the kill -9 test of a
// durable backend.
//
// A backend's test calls both with a Harness:
//
//	func TestConformance(t *testing.T) { storetest.Run(t, harness) }
//	func TestModel(t *testing.T)       { storetest.RunModel(t, harness) }
package storetest

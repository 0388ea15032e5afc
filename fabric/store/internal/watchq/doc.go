// Package watchq holds the bounded per-watcher queues the store backends
// share: a Queue delivers events to one watcher's channel without ever
// blocking the writer, and a Hub fans the committed events of an embedded
// store out to its watchers.
package watchq

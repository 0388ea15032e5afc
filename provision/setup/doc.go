// Package setup runs an instance's setup commands in order, survives
// reboots and crashes, and never runs a finished command twice.
//
// A [Runner] takes a list of [Command] values (built from unattend.xml
// RunSynchronous / FirstLogonCommands or cloud-config runcmd by those
// packages), runs each through an [Executor] ([Local] uses os/exec with a
// per-command timeout from context and appends output to a log file, like
// the seed's ">> C:\Users\Public\Documents\RandomWait.log"), and after
// every command writes its [Progress] to a small JSON file atomically
// (temporary file, fsync, rename). WillReboot semantics follow Windows
// Setup: Always reboots after the command; OnRequest reads the exit code,
// 0 continue, 1 reboot then the next command, 2 reboot then this command
// again. Run returns RebootRequired and the caller reboots and runs again;
// it resumes at the first command not recorded as done.
//
// No RFC governs this package.
package setup

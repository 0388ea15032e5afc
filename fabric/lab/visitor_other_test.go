//go:build !linux

package lab_test

// visitorEnv is only acted on where namespaces exist (visitor_linux_test.go).
const visitorEnv = "FABRIC_LAB_TEST_VISIT"

// visit is never asked for off Linux: no test starts a visitor there.
func visit(string) {}

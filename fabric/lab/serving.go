package lab

import "fmt"

// SetServing stops (on false) or resumes (on true) the HTTP server the lab
// runs for a web server machine on the given TCP ports, or on all of them
// when none is given. A stopped port's listener and open connections are
// closed, so the namespace's kernel refuses new connections to it (a TCP
// reset), as when the service's process stops listening; the machine and
// its other ports go on. Stopping a dedicated health probe port takes the
// machine out of rotation while it still answers its service; stopping
// every port is a server that went away.
func (l *Lab) SetServing(machine string, on bool, ports ...uint16) error {
	l.mu.Lock()
	g, ok := l.guests[machine]
	l.mu.Unlock()
	if !ok {
		return fmt.Errorf("lab: no machine %q", machine)
	}
	return g.setServing(on, ports)
}

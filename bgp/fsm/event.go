package fsm

import "github.com/sdnfabric/sdnfabric/bgp/wire"

// EventType is one of the 28 events of RFC 4271 section 8.1, numbered as
// there.
type EventType uint8

// Events of RFC 4271 section 8.1.2 to 8.1.5.
const (
	ManualStart                                                      EventType = 1
	ManualStop                                                       EventType = 2
	AutomaticStart                                                   EventType = 3
	ManualStartWithPassiveTCPEstablishment                           EventType = 4
	AutomaticStartWithPassiveTCPEstablishment                        EventType = 5
	AutomaticStartWithDampPeerOscillations                           EventType = 6
	AutomaticStartWithDampPeerOscillationsAndPassiveTCPEstablishment EventType = 7
	AutomaticStop                                                    EventType = 8
	ConnectRetryTimerExpires                                         EventType = 9
	HoldTimerExpires                                                 EventType = 10
	KeepaliveTimerExpires                                            EventType = 11
	DelayOpenTimerExpires                                            EventType = 12
	IdleHoldTimerExpires                                             EventType = 13
	TCPConnectionValid                                               EventType = 14
	TCPCRInvalid                                                     EventType = 15
	TCPCRAcked                                                       EventType = 16
	TCPConnectionConfirmed                                           EventType = 17
	TCPConnectionFails                                               EventType = 18
	BGPOpen                                                          EventType = 19
	BGPOpenWithDelayOpenTimerRunning                                 EventType = 20
	BGPHeaderErr                                                     EventType = 21
	BGPOpenMsgErr                                                    EventType = 22
	OpenCollisionDump                                                EventType = 23
	NotifMsgVerErr                                                   EventType = 24
	NotifMsg                                                         EventType = 25
	KeepAliveMsg                                                     EventType = 26
	UpdateMsg                                                        EventType = 27
	UpdateMsgErr                                                     EventType = 28
)

// NumEvents is the highest event number.
const NumEvents = 28

var eventNames = [...]string{
	"", "ManualStart", "ManualStop", "AutomaticStart",
	"ManualStart_with_PassiveTcpEstablishment",
	"AutomaticStart_with_PassiveTcpEstablishment",
	"AutomaticStart_with_DampPeerOscillations",
	"AutomaticStart_with_DampPeerOscillations_and_PassiveTcpEstablishment",
	"AutomaticStop", "ConnectRetryTimer_Expires", "HoldTimer_Expires",
	"KeepaliveTimer_Expires", "DelayOpenTimer_Expires", "IdleHoldTimer_Expires",
	"TcpConnection_Valid", "Tcp_CR_Invalid", "Tcp_CR_Acked",
	"TcpConnectionConfirmed", "TcpConnectionFails", "BGPOpen",
	"BGPOpen with DelayOpenTimer running", "BGPHeaderErr", "BGPOpenMsgErr",
	"OpenCollisionDump", "NotifMsgVerErr", "NotifMsg", "KeepAliveMsg",
	"UpdateMsg", "UpdateMsgErr",
}

func (e EventType) String() string {
	if e >= 1 && int(e) < len(eventNames) {
		return eventNames[e]
	}
	return "Event(" + itoa(int(e)) + ")"
}

// Event is one input to a Machine.
type Event struct {
	Type EventType
	// HoldTime is the peer's hold time in seconds from its OPEN, for
	// BGPOpen and BGPOpenWithDelayOpenTimerRunning.
	HoldTime uint16
	// Notification is what to send for BGPHeaderErr, BGPOpenMsgErr and
	// UpdateMsgErr (the error found in the message), and may replace the
	// plain Cease sent for ManualStop and AutomaticStop (for example an
	// Administrative Shutdown with an RFC 9003 message).
	Notification *wire.Notification
}

package fsm

import (
	"fmt"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// Timer names one of the session timers of RFC 4271 section 8.
type Timer uint8

// Session timers.
const (
	ConnectRetryTimer Timer = iota
	HoldTimer
	KeepaliveTimer
	DelayOpenTimer
	IdleHoldTimer
	numTimers
)

var timerNames = [...]string{"ConnectRetryTimer", "HoldTimer", "KeepaliveTimer", "DelayOpenTimer", "IdleHoldTimer"}

func (t Timer) String() string {
	if int(t) < len(timerNames) {
		return timerNames[t]
	}
	return "Timer(" + itoa(int(t)) + ")"
}

// ActionType is something the caller of Machine.Step must do.
type ActionType uint8

// Actions, in the order the RFC lists them within a transition. The caller
// performs them in the order returned.
const (
	// StartTimer (re)starts Action.Timer to fire after Action.Duration.
	StartTimer ActionType = iota + 1
	// StopTimer stops Action.Timer; a later expiry of it must not be
	// delivered.
	StopTimer
	// InitiateConnect initiates a TCP connection to the peer (the caller keeps
	// accepting incoming ones in Connect and Active).
	InitiateConnect
	// SendOpen sends our OPEN message.
	SendOpen
	// SendKeepalive sends a KEEPALIVE message.
	SendKeepalive
	// SendNotification sends Action.Notification.
	SendNotification
	// ProcessUpdate hands the received UPDATE to the routing process.
	ProcessUpdate
	// SessionUp reports the move to Established.
	SessionUp
	// DeleteRoutes deletes every route learned over the connection
	// (leaving Established).
	DeleteRoutes
	// Drop closes the TCP connection (after the queued messages are
	// written) and releases the BGP resources of the connection.
	Drop
)

var actionNames = [...]string{"", "StartTimer", "StopTimer", "InitiateConnect", "SendOpen", "SendKeepalive",
	"SendNotification", "ProcessUpdate", "SessionUp", "DeleteRoutes", "Drop"}

func (a ActionType) String() string {
	if int(a) < len(actionNames) && a != 0 {
		return actionNames[a]
	}
	return "Action(" + itoa(int(a)) + ")"
}

// Action is one output of a Machine.
type Action struct {
	Type         ActionType
	Timer        Timer
	Duration     time.Duration
	Notification wire.Notification
}

func (a Action) String() string {
	switch a.Type {
	case StartTimer:
		return fmt.Sprintf("StartTimer(%v, %v)", a.Timer, a.Duration)
	case StopTimer:
		return fmt.Sprintf("StopTimer(%v)", a.Timer)
	case SendNotification:
		return fmt.Sprintf("SendNotification(%v)", a.Notification)
	}
	return a.Type.String()
}

package provision

import (
	"context"
	"fmt"
	"net/netip"
)

// Rotation is the load balancer's view of an instance: Busy takes it out of
// rotation (no new flows) while setup runs, Ready puts it back. It is the
// counterpart of the seed's Set-RoleInstanceStatus -Busy; the slb host
// agent satisfies it in the fabric module.
type Rotation interface {
	SetBusy(ctx context.Context, addr netip.Addr) error
	SetReady(ctx context.Context, addr netip.Addr) error
}

// Setup is the work done while an instance is Busy (first-logon commands,
// registration in the shared database, application install).
type Setup func(ctx context.Context, in *Instance) error

// BringUp takes an instance that has reached FirstLogon through Busy to
// Ready: it marks the instance busy in rotation, runs setup, and marks it
// ready. Any failure moves the instance to Failed with the reason and is
// returned. The instance is never put in rotation before setup succeeded.
func BringUp(ctx context.Context, in *Instance, rot Rotation, clock Clock, setup Setup) error {
	fail := func(what string, err error) error {
		_ = in.Fail(fmt.Sprintf("%s: %v", what, err), clock.Now())
		return fmt.Errorf("provision: %s: %s: %w", in.Name, what, err)
	}
	if !CanTransition(in.State(), Busy) {
		return &TransitionError{Instance: in.Name, From: in.State(), To: Busy}
	}
	if err := rot.SetBusy(ctx, in.Addr); err != nil {
		return fail("set busy", err)
	}
	if err := in.To(Busy, clock.Now()); err != nil {
		return err
	}
	if err := setup(ctx, in); err != nil {
		return fail("setup", err)
	}
	if err := rot.SetReady(ctx, in.Addr); err != nil {
		return fail("set ready", err)
	}
	return in.To(Ready, clock.Now())
}

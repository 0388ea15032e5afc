package mux

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
)

// An Announcer makes a VIP reachable: in fabric the BGP speaker
// satisfies it, advertising each VIP as a /32 (IPv4) or /128 (IPv6) route
// with the Mux as next hop, as Ananta's Muxes do. Calls are made one at a
// time, with the Mux's configuration lock held, so they should not block
// for long.
type Announcer interface {
	Announce(ctx context.Context, p netip.Prefix) error
	Withdraw(ctx context.Context, p netip.Prefix) error
}

func hostPrefix(vip netip.Addr) netip.Prefix {
	return netip.PrefixFrom(vip, vip.BitLen())
}

// sortedVIPs returns m's VIPs in order, so that announcements are made
// in a stable order.
func sortedVIPs(m map[netip.Addr]bool) []netip.Addr {
	return slices.SortedFunc(maps.Keys(m), netip.Addr.Compare)
}

// wanted returns, for each VIP of st, whether it should be announced:
// always, unless WithdrawUnhealthyVIPs is set, in which case a VIP with
// load-balancing rules needs one of their pools to have a healthy DIP or
// an inbound NAT rule (NAT rules do not use probes).
func (m *Mux) wanted(st *state) map[netip.Addr]bool {
	want := make(map[netip.Addr]bool, len(st.vips))
	for vip, lb := range st.vips {
		want[vip] = !m.cfg.WithdrawUnhealthyVIPs || !lb
	}
	for k, s := range st.services {
		if !want[k.vip] && (s.nat != nil || s.pool.healthy()) {
			want[k.vip] = true
		}
	}
	return want
}

// reconcile announces the VIPs st wants and withdraws the others. It
// holds m.mu. A failed call is retried on the next change.
func (m *Mux) reconcile(ctx context.Context, st *state) error {
	if m.cfg.Announcer == nil {
		return nil
	}
	var errs []error
	want := m.wanted(st)
	for _, vip := range sortedVIPs(m.announced) {
		if want[vip] {
			continue
		}
		if err := m.cfg.Announcer.Withdraw(ctx, hostPrefix(vip)); err != nil {
			errs = append(errs, fmt.Errorf("mux: withdrawing %v: %w", vip, err))
			continue
		}
		delete(m.announced, vip)
		m.log.Info("mux: withdrew VIP", "vip", vip)
	}
	for _, vip := range sortedVIPs(st.vips) {
		if m.announced[vip] || !want[vip] {
			continue
		}
		if err := m.cfg.Announcer.Announce(ctx, hostPrefix(vip)); err != nil {
			errs = append(errs, fmt.Errorf("mux: announcing %v: %w", vip, err))
			continue
		}
		m.announced[vip] = true
		m.log.Info("mux: announced VIP", "vip", vip)
	}
	return errors.Join(errs...)
}

// Package provision makes instances from master images and brings them into
// service without a start storm.
//
// The root package holds the model: an [Image] is generalized (sysprep'd,
// may be cloned) or specialized (a point-in-time snapshot, refused for
// cloning); [Capture] refuses machines with data disks attached. A [Catalog]
// (after Citrix MCS machine catalogs) clones one image into a counted set of
// [Instance] values named by a [NamingScheme] such as "WEB-###", with
// identity pools that never hand out a hostname, [MAC] or IP address twice.
// Each instance walks an explicit lifecycle (Requested, Cloning,
// Specializing, FirstLogon, Busy, Ready, with Failed and Deleted); the
// transition table is [CanTransition] and every step is recorded with the
// time of an injectable [Clock]. [BringUp] keeps an instance out of
// load-balancer [Rotation] until its setup is done.
//
// Sub-packages: unattend (Windows unattend.xml), cloudinit (#cloud-config),
// setup (the resumable command runner), jitter (start jitter, backoff and
// admission control), sim (a virtual-time start-storm simulator), and
// cmd/provision.
//
// No RFC governs this module. Generated MAC addresses are locally
// administered unicast addresses (IEEE 802 U/L bit set, I/G bit clear);
// backoff follows the full- and decorrelated-jitter schemes.
package provision

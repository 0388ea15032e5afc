// Package lab runs a fabric topology on real Linux networking: the
// runtime's userspace nodes (routers, NAT, Muxes, hosts with their virtual
// switches) run in the calling process as they do in process, but every
// machine is a Linux network namespace with the kernel's own TCP/IP stack,
// attached to the fabric's data plane through a TAP device.
//
// Up creates one namespace per machine, named Options.Prefix followed by
// the machine's name in lower case (ClientVM is "fab-clientvm" by
// default). In it, a TAP device "eth0" carries the machine's MAC, address
// and default route; the fabric process holds the TAP's file descriptor
// and bridges its frames to the port the runtime made for the machine (on
// its network's switch, or the wire to its host's vNIC), through
// runtime.Options.Guests. A web server machine serves HTTP on its
// endpoints' TCP ports from sockets the fabric process opens inside the
// namespace, answering with its name (header X-Served-By) so that
//
//	ip netns exec fab-clientvm curl http://192.168.102.10/
//
// shows which PortalVM answered (Options.FreePorts leaves declared ports to
// processes run in the namespaces, such as iperf3 -s). Lab.SetServing
// stops and resumes a web server's HTTP on some of its ports, or all: a
// failing health probe port, or a server that went away.
//
// The router can be ours or a real one: with Options.Router RouterBIRD or
// RouterFRR (`fabric lab up -router bird|frr`), each gateway with BGP (the
// BGPVM) is a namespace of its own with a TAP per interface, IPv4
// forwarding, its static routes, and BIRD 2 (or FRR's zebra and bgpd) with
// a configuration generated from the topology: an eBGP session with each
// Mux, their routes installed into the kernel's table with ECMP across
// equal paths (BIRD's merge paths, FRR's maximum-paths; the kernel hashes
// on the ports too), nothing announced back. With runtime.Options.BFD the
// router runs BFD with every Mux at that interval too (BIRD's protocol bfd;
// FRR's bfdd, a profile of the interval and `neighbor X bfd`), and
// Lab.FRRBFDPeers shows FRR's sessions. The NAT gateway and the Muxes stay
// ours.
//
// Down removes every namespace with a prefix and the lab's directories in
// os.TempDir (the routers' configurations and sockets, a distributed lab's
// logs and etcd data), which is all a lab leaves behind, also after a
// crash: the TAP devices live inside the namespaces and go with them, and
// processes left running in them (BIRD, a server someone started) are
// ended first; a process that only visits one with a thread (another lab
// opening a socket there) is not.
//
// Offloads: every TAP is opened with IFF_VNET_HDR and accepts checksum
// offload and TCPv4 segmentation (TUNSETOFFLOAD csum|tso4): its kernel
// hands over TCP super-segments of up to 64 KiB with partial checksums.
// They enter the fabric whole, as netsim super-frames with their
// gso_size: the vNICs and the routers (NAT included) carry them so, and
// they are segmented and checksummed in software (package offload) only
// where a node takes none (VXLAN encapsulation in a vswitch, the
// distributed lab's uplinks); a machine, or BIRD's or FRR's namespace,
// whose port gets one writes it to its TAP as one GSO frame. Any other
// partial checksum is finished before the frame enters the fabric.
// Options.NoOffload turns the offloads off everywhere. The goroutine that
// read a frame from a TAP carries it through every idle node to the TAP
// it is written to (netsim runs to completion). Towards the kernel, the
// TCP segments of a burst are merged per flow (package offload/gro, the
// rules of Linux's GRO; plain frames wait in the machine's port queue for
// this) and written as one super-frame with a GSO virtio-net header when
// the port has nothing more queued, so the kernel takes one write and one
// packet per burst; other frames are written as they come, complete
// packets whose checksums the kernel verifies (Options.NoGRO writes every
// frame as it comes).
//
// Distributed labs (UpDistributed, `fabric lab up -distributed`) run every
// node as a process of its own: etcd and `fabric controller --store
// etcd://...` in namespaces <prefix>etcd and <prefix>controller, and a
// `fabric agent` per gateway, Mux and host in a namespace named after it,
// started with nsenter (network namespace only, so that the VM namespaces a
// host agent makes are everyone's). A namespace <prefix>infra holds a Linux
// bridge per topology network and one for the management network
// (MgmtPrefix), where the control traffic rides; each node's namespace has
// a veth pair to the bridge of each of its networks (MTU 9000: VXLAN adds
// 50 bytes) and one to the management bridge. Inside a node's namespace the
// agent (Uplinks) opens a TAP device with IFF_VNET_HDR and joins it and the
// veth in a bridge of their own: the frames of the runtime's in-process
// switch for that network go to the TAP, through the bridge and the veth
// to the network's bridge, and from there to the other nodes' veths. A
// bridge rather than using the veth directly keeps the data plane on the
// TAP interface the single-process lab uses (virtio-net headers, the
// kernel's own segmentation), and lets a physical NIC take the veth's place
// in a deployment. Machines plugged into a network directly (the client,
// the outside server) are namespaces with a veth on the network's bridge;
// VMs are made by their host's agent (Guests) on TAPs, as in a lab. With
// RouterBIRD or RouterFRR the BGP gateways are BIRD or FRR on veths, the
// kernel forwarding. Every Mux<->router BGP session has a BFD session
// under it (RFC 5880 and 5881, DistOptions.BFD, 100 ms x 3 by default;
// BIRD's protocol bfd or FRR's bfdd, and bgp/bfd over the Muxes' gVisor
// stacks): a killed Mux's routes go within a few hundred milliseconds
// instead of the hold time (Distributed.BIRDBFDSessions and FRRBFDPeers
// show the router's sessions, Distributed.FRR runs any vtysh command).
// Partition cuts a node's management link, Kill ends a process with
// SIGKILL, RestartEtcd kills and restarts the etcd member. The processes
// get SIGTERM from the kernel when the lab's own process dies (Pdeathsig),
// so a crash leaves only namespaces and bridges; Close, or Down after a
// crash, ends what still runs in the prefixed namespaces and deletes them.
// An agent builds its node from the state it fetched at start: a node
// added to the controller later is reached by the running nodes (their
// static provider neighbours) only once their agents restart. A VM (a
// NIC) added for a running host, or removed, is attached or detached by
// its host's agent without a restart (see package runtime). A host agent
// reports its DIPs' health to the controller and the Mux agents apply it,
// so a PortalVM whose probe fails leaves rotation at the Muxes of the
// other processes (Distributed.SetServing stops a VM's server from
// outside its host's process, with an nftables reset rule in its
// namespace). A VM marks itself busy or ready from its namespace over
// HTTP to its host's WireServer at 168.63.129.16 (its default route, via
// its vswitch's gateway, reaches the host agent's own stack on the host
// port; see runtime.WireServerURL), and the Mux agents take it out.
//
// The reference: KernelUp builds the same topology from the kernel's parts
// only (Linux bridges and veths, kernel VXLAN, nftables NAT, an nftables
// jhash of each flow at the Mux choosing the host, DNAT on the host with
// the reply straight to the router, BIRD for BGP), in namespaces named the
// same way, and RunLoad runs the same load against either (iperf3 1 and 8
// streams each way, wrk to a small page, the machine's CPU per byte), which
// is what `fabric lab bench` (scripts/lab-bench.sh) prints side by side.
//
// Lab needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN), /dev/net/tun and the
// ip command of iproute2, on Linux (and bird, or FRR in /usr/lib/frr and
// vtysh, for the real routers); elsewhere Up returns ErrUnsupported.
//
// The data path follows RFC 7348 (VXLAN) between hosts, RFC 4271 (BGP)
// with RFC 5880/5881 (BFD) between the Muxes and the router, and RFC 3022 (NAPT) at the NAT
// gateway, as in package runtime; the guests' TCP (RFC 9293), ARP
// (RFC 826) and IPv4 (RFC 791) are the kernel's.
package lab

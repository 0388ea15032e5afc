package guest_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/fabric/guest"
	"github.com/sdnfabric/sdnfabric/fabric/netsim"
)

// Two guests on a wire: one serves HTTP, the other fetches a page.
func Example() {
	clientPort, serverPort := netsim.NewWire("link", netsim.WireConfig{})
	server, err := guest.New("server", serverPort, guest.Config{
		MAC:  net.HardwareAddr{0x02, 0, 0, 0, 0, 2},
		Addr: netip.MustParsePrefix("10.99.0.2/24"),
	})
	if err != nil {
		panic(err)
	}
	defer server.Close()
	client, err := guest.New("client", clientPort, guest.Config{
		MAC:  net.HardwareAddr{0x02, 0, 0, 0, 0, 1},
		Addr: netip.MustParsePrefix("10.99.0.1/24"),
	})
	if err != nil {
		panic(err)
	}
	defer client.Close()

	server.Serve(":80", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s", server.Name())
	}))
	resp, err := client.HTTPClient().Get("http://10.99.0.2/")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, string(body))
	// Output: 200 OK hello from server
}

package cloudinit_test

import (
	"fmt"
	"os"

	"github.com/sdnfabric/sdnfabric/provision/cloudinit"
)

func Example() {
	c, err := cloudinit.ParseBytes([]byte(`#cloud-config
hostname: WEB-001
runcmd:
  - [ /opt/tanzanite/register.sh ]
  - echo registered >> /var/log/register.log
`))
	if err != nil {
		panic(err)
	}
	c.Users = append(c.Users, cloudinit.User{Default: true})
	if err := cloudinit.Write(os.Stdout, c); err != nil {
		panic(err)
	}
	_, err = cloudinit.ParseBytes([]byte("#cloud-config\nwrite_files:\n  - path: etc/motd\n"))
	fmt.Println(err)
	// Output:
	// #cloud-config
	// hostname: WEB-001
	// users:
	//   - default
	// runcmd:
	//   - - /opt/tanzanite/register.sh
	//   - echo registered >> /var/log/register.log
	// cloudinit: line 3:11: write_files[0].path: cloudinit: invalid value: "etc/motd" is not absolute
}

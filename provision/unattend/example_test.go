package unattend_test

import (
	"fmt"
	"strings"

	"github.com/sdnfabric/sdnfabric/provision/unattend"
)

func Example() {
	f, err := unattend.Parse(strings.NewReader(`<?xml version="1.0"?>
<unattend xmlns="urn:schemas-microsoft-com:unattend" xmlns:wcm="http://schemas.microsoft.com/WMIConfig/2002/State">
  <settings pass="oobeSystem">
    <component name="Microsoft-Windows-Shell-Setup">
      <FirstLogonCommands>
        <SynchronousCommand wcm:action="add">
          <Order>2</Order>
          <CommandLine>PowerShell.exe C:\Tanzanite\RandomWait.ps1 >> C:\Users\Public\Documents\RandomWait.log</CommandLine>
        </SynchronousCommand>
        <SynchronousCommand wcm:action="add">
          <Order>1</Order>
          <CommandLine>PowerShell.exe -command set-executionpolicy remotesigned -force</CommandLine>
        </SynchronousCommand>
      </FirstLogonCommands>
    </component>
  </settings>
</unattend>`))
	if err != nil {
		panic(err)
	}
	for _, c := range f.FirstLogonCommands() {
		fmt.Println(c.Order, c.CommandLine)
	}
	_, err = unattend.Parse(strings.NewReader(`<unattend xmlns="urn:schemas-microsoft-com:unattend">
<settings pass="sometimes"/></unattend>`))
	fmt.Println(err)
	// Output:
	// 1 PowerShell.exe -command set-executionpolicy remotesigned -force
	// 2 PowerShell.exe C:\Tanzanite\RandomWait.ps1 >> C:\Users\Public\Documents\RandomWait.log
	// unattend: line 2:29: <unattend/settings>: unattend: invalid value: pass "sometimes" is not a configuration pass
}

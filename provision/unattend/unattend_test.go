package unattend

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func TestParseSeed(t *testing.T) {
	b, err := os.ReadFile("testdata/seed.xml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []SynchronousCommand{
		{Action: "add", Order: 1, CommandLine: `%WINDIR%\System32\WindowsPowerShell\v1.0\PowerShell.exe -command set-executionpolicy remotesigned -force >> C:\Users\Public\Documents\setExecution.log`, Description: "Set the ExecutionPolicy to RemoteSigned for the script to run"},
		{Action: "add", Order: 2, CommandLine: `%WINDIR%\System32\WindowsPowerShell\v1.0\PowerShell.exe C:\Tanzanite\RandomWait.ps1 >> C:\Users\Public\Documents\RandomWait.log`, Description: "A random wait time to prevent storming and corrupting the database"},
	}
	if diff := cmp.Diff(want, f.FirstLogonCommands()); diff != "" {
		t.Fatal(diff)
	}
	rs := f.RunSynchronous(Specialize)
	if len(rs) != 2 || rs[1].WillReboot != OnRequest || rs[0].WillReboot != Never {
		t.Fatalf("%+v", rs)
	}
	shell := f.Component(OOBESystem, "Microsoft-Windows-Shell-Setup")
	if shell == nil || shell.AutoLogon == nil || shell.AutoLogon.Username != "Administrator" || !shell.AutoLogon.Enabled || shell.AutoLogon.LogonCount != 1 {
		t.Fatalf("%+v", shell)
	}
	if c := f.Component(Specialize, "Microsoft-Windows-Shell-Setup"); c == nil || c.ComputerName != "*" {
		t.Fatal("ComputerName")
	}
	// Elements outside the model are kept verbatim, with the root's prefixes.
	if len(shell.Extra) != 1 || !strings.HasPrefix(string(shell.Extra[0]), "<OOBE>") || !strings.HasSuffix(string(shell.Extra[0]), "</OOBE>") || !strings.Contains(string(shell.Extra[0]), "<HideEULAPage>true</HideEULAPage>") {
		t.Fatalf("extra %q", shell.Extra)
	}
	if diff := cmp.Diff([]XMLNS{{Prefix: "xsi", URI: "http://www.w3.org/2001/XMLSchema-instance"}}, f.Namespaces); diff != "" {
		t.Fatal(diff)
	}
	out, err := Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	g, err := ParseBytes(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if diff := cmp.Diff(f, g); diff != "" {
		t.Fatal(diff)
	}
}

// The seed's snippet exactly as posted: the SynchronousCommand elements
// are never closed.
const seedAsPosted = `<unattend xmlns="urn:schemas-microsoft-com:unattend" xmlns:wcm="http://schemas.microsoft.com/WMIConfig/2002/State">
<settings pass="oobeSystem"><component name="Microsoft-Windows-Shell-Setup"><FirstLogonCommands>
  <SynchronousCommand wcm:action="add">
    <CommandLine>%WINDIR%\System32\WindowsPowerShell\v1.0\PowerShell.exe -command set-executionpolicy remotesigned -force >> C:\Users\Public\Documents\setExecution.log</CommandLine>
    <Description>Set the ExecutionPolicy to RemoteSigned for the script to run</Description>
  <SynchronousCommand wcm:action="add">
    <CommandLine>%WINDIR%\System32\WindowsPowerShell\v1.0\PowerShell.exe C:\Tanzanite\RandomWait.ps1 >> C:\Users\Public\Documents\RandomWait.log</CommandLine>
    <Description>A random wait time to prevent storming and corrupting the database</Description>
</FirstLogonCommands></component></settings></unattend>`

func TestMalformed(t *testing.T) {
	const head = `<unattend xmlns="urn:schemas-microsoft-com:unattend" xmlns:wcm="http://schemas.microsoft.com/WMIConfig/2002/State">` + "\n"
	flc := func(body string) string {
		return head + `<settings pass="oobeSystem">` + "\n" + `<component name="Microsoft-Windows-Shell-Setup">` + "\n<FirstLogonCommands>\n" + body + "\n</FirstLogonCommands></component></settings></unattend>"
	}
	cases := []struct {
		name, in string
		err      error
		elem     string
		line     int
	}{
		{"seed as posted", seedAsPosted, ErrSyntax, "unattend/settings/component/FirstLogonCommands/SynchronousCommand/SynchronousCommand", 9},
		{"empty", "", ErrMissing, "unattend", 1},
		{"wrong root", `<answers/>`, ErrMissing, "answers", 1},
		{"no namespace", `<unattend><settings pass="specialize"/></unattend>`, ErrNamespace, "unattend", 1},
		{"bad pass", head + `<settings pass="firstBoot"></settings></unattend>`, ErrValue, "unattend/settings", 2},
		{"missing pass", head + `<settings></settings></unattend>`, ErrMissing, "unattend/settings", 2},
		{"duplicate pass", head + `<settings pass="specialize"/>` + "\n" + `<settings pass="specialize"/></unattend>`, ErrDuplicate, "unattend/settings", 3},
		{"order too big", flc("<SynchronousCommand><Order>501</Order><CommandLine>x</CommandLine></SynchronousCommand>"), ErrValue, "unattend/settings/component/FirstLogonCommands/SynchronousCommand/Order", 5},
		{"order zero", flc("<SynchronousCommand>\n<Order>0</Order><CommandLine>x</CommandLine></SynchronousCommand>"), ErrValue, "unattend/settings/component/FirstLogonCommands/SynchronousCommand/Order", 6},
		{"order missing", flc("<SynchronousCommand><CommandLine>x</CommandLine></SynchronousCommand>"), ErrMissing, "unattend/settings/component/FirstLogonCommands/SynchronousCommand", 5},
		{"order duplicate", flc("<SynchronousCommand><Order>1</Order><CommandLine>x</CommandLine></SynchronousCommand>\n<SynchronousCommand><Order>1</Order><CommandLine>y</CommandLine></SynchronousCommand>"), ErrDuplicate, "unattend/settings/component/FirstLogonCommands/SynchronousCommand", 6},
		{"no command line", flc("<SynchronousCommand><Order>1</Order></SynchronousCommand>"), ErrMissing, "unattend/settings/component/FirstLogonCommands/SynchronousCommand", 5},
		{"bad bool", flc("<SynchronousCommand><Order>1</Order><CommandLine>x</CommandLine><RequiresUserInput>yes</RequiresUserInput></SynchronousCommand>"), ErrValue, "unattend/settings/component/FirstLogonCommands/SynchronousCommand/RequiresUserInput", 5},
		{"element in text", flc("<SynchronousCommand><Order>1<b/></Order></SynchronousCommand>"), ErrValue, "unattend/settings/component/FirstLogonCommands/SynchronousCommand/Order/b", 5},
		{"bad reboot", head + `<settings pass="specialize"><component name="Microsoft-Windows-Deployment"><RunSynchronous>` + "\n\n<RunSynchronousCommand><Order>1</Order><Path>x</Path><WillReboot>Sometimes</WillReboot></RunSynchronousCommand></RunSynchronous></component></settings></unattend>", ErrValue, "unattend/settings/component/RunSynchronous/RunSynchronousCommand/WillReboot", 4},
		{"computer name", head + `<settings pass="specialize"><component name="Microsoft-Windows-Shell-Setup">` + "\n<ComputerName>WEB 001</ComputerName></component></settings></unattend>", ErrValue, "unattend/settings/component/ComputerName", 3},
		{"component twice", head + `<settings pass="specialize"><component name="x">` + "\n<ComputerName>A</ComputerName>\n<ComputerName>B</ComputerName></component></settings></unattend>", ErrDuplicate, "unattend/settings/component/ComputerName", 4},
		{"two roots", head + `</unattend>` + "\n<unattend/>", ErrSyntax, "unattend", 3},
		{"deep", head + strings.Repeat("<a>", 40) + strings.Repeat("</a>", 40) + "</unattend>", ErrTooDeep, "unattend" + strings.Repeat("/a", MaxDepth-1), 2},
		{"huge", head + strings.Repeat(" ", MaxSize) + "</unattend>", ErrTooLarge, "unattend", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse(strings.NewReader(c.in))
			var e *Error
			if f != nil || !errors.Is(err, c.err) || !errors.As(err, &e) {
				t.Fatalf("got %v, %v; want %v", f, err, c.err)
			}
			if e.Element != c.elem || e.Line != c.line {
				t.Fatalf("got <%s> line %d, want <%s> line %d (%v)", e.Element, e.Line, c.elem, c.line, err)
			}
		})
	}
}

var text = rapid.StringMatching(`[A-Za-z0-9]([A-Za-z0-9%\\.:<>&"' -]{0,30}[A-Za-z0-9])?`)

func genFile(t *rapid.T) *File {
	f := &File{}
	passes := rapid.SliceOfNDistinct(rapid.SampledFrom([]Pass{WindowsPE, Specialize, OOBESystem, AuditUser, Generalize}), 0, 3, rapid.ID).Draw(t, "passes")
	for _, p := range passes {
		s := Settings{Pass: p}
		for range rapid.IntRange(0, 2).Draw(t, "components") {
			c := Component{
				Name:                  rapid.SampledFrom([]string{"Microsoft-Windows-Shell-Setup", "Microsoft-Windows-Deployment"}).Draw(t, "name"),
				ProcessorArchitecture: rapid.SampledFrom([]string{"", "amd64"}).Draw(t, "arch"),
				ComputerName:          rapid.SampledFrom([]string{"", "*", "WEB-001"}).Draw(t, "cn"),
			}
			if rapid.Bool().Draw(t, "autologon") {
				c.AutoLogon = &AutoLogon{Username: text.Draw(t, "user"), Enabled: rapid.Bool().Draw(t, "en"), LogonCount: rapid.IntRange(0, 9).Draw(t, "lc")}
				if rapid.Bool().Draw(t, "pw") {
					c.AutoLogon.Password = &Password{Value: text.Draw(t, "pwv"), PlainText: rapid.Bool().Draw(t, "pt")}
				}
			}
			orders := rapid.SliceOfNDistinct(rapid.IntRange(MinOrder, MaxOrder), 0, 4, rapid.ID).Draw(t, "orders")
			for _, o := range orders {
				c.FirstLogonCommands = append(c.FirstLogonCommands, SynchronousCommand{Action: "add", Order: o, CommandLine: text.Draw(t, "cl"), Description: rapid.SampledFrom([]string{"", "d <&>"}).Draw(t, "d"), RequiresUserInput: rapid.Bool().Draw(t, "rui")})
				c.RunSynchronous = append(c.RunSynchronous, RunSynchronousCommand{Action: "add", Order: o, Path: text.Draw(t, "path"), WillReboot: WillReboot(rapid.IntRange(0, 2).Draw(t, "wr"))})
			}
			s.Components = append(s.Components, c)
		}
		f.Settings = append(f.Settings, s)
	}
	return f
}

func TestPropertyRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := genFile(t)
		b, err := Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		g, err := ParseBytes(b)
		if err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		if diff := cmp.Diff(f, g); diff != "" {
			t.Fatal(diff)
		}
	})
}

func TestMarshalRefusesInvalid(t *testing.T) {
	f := &File{Settings: []Settings{{Pass: OOBESystem, Components: []Component{{Name: "x", FirstLogonCommands: []SynchronousCommand{{Order: 501, CommandLine: "x"}}}}}}}
	if _, err := Marshal(f); !errors.Is(err, ErrValue) {
		t.Fatal(err)
	}
}

func FuzzParse(f *testing.F) {
	seed, _ := os.ReadFile("testdata/seed.xml")
	f.Add(seed)
	f.Add([]byte(seedAsPosted))
	f.Add([]byte(`<unattend xmlns="urn:schemas-microsoft-com:unattend"><settings pass="specialize"/></unattend>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParseBytes(b)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		out, err := Marshal(v)
		if err != nil {
			t.Fatalf("parsed but cannot write: %v", err)
		}
		w, err := ParseBytes(out)
		if err != nil {
			t.Fatalf("cannot reparse: %v\n%s", err, out)
		}
		if diff := cmp.Diff(v, w); diff != "" {
			t.Fatal(diff)
		}
	})
}

func TestSetupCommands(t *testing.T) {
	b, _ := os.ReadFile("testdata/seed.xml")
	f, err := ParseBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range append(f.SetupCommands(Specialize), f.SetupCommands(OOBESystem)...) {
		ids = append(ids, c.ID+" "+c.Reboot.String())
	}
	want := []string{"specialize/RunSynchronous/1 Never", "specialize/RunSynchronous/2 OnRequest", "oobeSystem/FirstLogonCommands/1 Never", "oobeSystem/FirstLogonCommands/2 Never"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Fatal(diff)
	}
}

func TestForInstance(t *testing.T) {
	b, _ := os.ReadFile("testdata/seed.xml")
	f, _ := ParseBytes(b)
	g := f.ForInstance("WEB-042")
	if c := g.Component(Specialize, ShellSetup); c.ComputerName != "WEB-042" {
		t.Fatal(c.ComputerName)
	}
	if c := f.Component(Specialize, ShellSetup); c.ComputerName != "*" {
		t.Fatal("ForInstance changed the catalog's file")
	}
	g.Component(OOBESystem, ShellSetup).AutoLogon.Password.Value = "changed"
	if f.Component(OOBESystem, ShellSetup).AutoLogon.Password.Value == "changed" {
		t.Fatal("Clone shares the password")
	}
	empty := (&File{}).ForInstance("WEB-001")
	if c := empty.Component(Specialize, ShellSetup); c == nil || c.ComputerName != "WEB-001" {
		t.Fatal("pass not added")
	}
	if _, err := Marshal(empty); err != nil {
		t.Fatal(err)
	}
}

func TestPasswordEncoding(t *testing.T) {
	// The example value from Microsoft's UserAccounts/AdministratorPassword
	// reference page: "pw" with the element name appended.
	const ms = "cAB3AEEAZABtAGkAbgBpAHMAdAByAGEAdABvAHIAUABhAHMAcwB3AG8AcgBkAA=="
	if got, err := RevealPassword(ms, "AdministratorPassword"); err != nil || got != "pw" {
		t.Fatalf("%q %v", got, err)
	}
	if HidePassword("pw", "AdministratorPassword") != ms {
		t.Fatal("HidePassword does not match the reference value")
	}
	a := &AutoLogon{Password: &Password{Value: HidePassword("Pa55w.rd€", "Password")}}
	if got, err := a.Plain(); err != nil || got != "Pa55w.rd€" {
		t.Fatal(got, err)
	}
	for _, bad := range []string{"!!", "cAA=", HidePassword("x", "Other")} {
		if _, err := RevealPassword(bad, "Password"); !errors.Is(err, ErrValue) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestMarshalRefusesBadComputerName(t *testing.T) {
	f := (&File{}).ForInstance("WEB 001")
	if _, err := Marshal(f); !errors.Is(err, ErrValue) {
		t.Fatal(err)
	}
}

package cloudinit

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func TestParseWeb(t *testing.T) {
	b, err := os.ReadFile("testdata/web.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	want := &Config{
		Hostname: "WEB-001",
		FQDN:     "WEB-001.fabric.example",
		Users: []User{{Default: true}, {
			Name: "tanzanite", Gecos: "Tanzanite setup", Groups: []string{"adm", "sudo"}, Shell: "/bin/bash",
			Sudo: []string{"ALL=(ALL) NOPASSWD:ALL"}, LockPasswd: &yes,
			SSHAuthorizedKeys: []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBlJXZVK1yqVq5zH3Yc1b2m1o1w7XyQ2Qz8JcGm0kG3a admin@build01"},
		}},
		WriteFiles: []WriteFile{
			{Path: "/opt/tanzanite/register.sh", Permissions: "0755", Owner: "root:root",
				Content: "#!/bin/sh\nset -e\ncurl -fsS -X POST http://config-db.fabric.example/register -d \"host=$(hostname)\"\n"},
			{Path: "/etc/tanzanite/stage", Content: "firstboot", Append: true},
		},
		RunCmd: []Command{{Argv: []string{"/opt/tanzanite/register.sh"}}, {Shell: "echo registered >> /var/log/tanzanite-register.log"}},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Fatal(diff)
	}
	out, err := Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseBytes(out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if diff := cmp.Diff(c, back); diff != "" {
		t.Fatalf("%s\n%s", diff, out)
	}
}

func TestMalformed(t *testing.T) {
	cases := []struct {
		name, in string
		err      error
		key      string
		line     int
	}{
		{"no header", "hostname: a\n", ErrHeader, "(file)", 1},
		{"syntax", "#cloud-config\nhostname: a\nusers: [\n", ErrSyntax, "(file)", 3},
		{"top not mapping", "#cloud-config\n- a\n", ErrType, "(top)", 2},
		{"bad hostname", "#cloud-config\n\nhostname: web_01\n", ErrValue, "hostname", 3},
		{"users not list", "#cloud-config\nusers: bob\n", ErrType, "users", 2},
		{"user no name", "#cloud-config\nusers:\n  - default\n  - shell: /bin/sh\n", ErrMissing, "users[1]", 4},
		{"bad lock", "#cloud-config\nusers:\n  - name: a\n    lock_passwd: maybe\n", ErrValue, "users[0].lock_passwd", 4},
		{"relative path", "#cloud-config\nwrite_files:\n  - path: etc/x\n", ErrValue, "write_files[0].path", 3},
		{"bad perms", "#cloud-config\nwrite_files:\n  - path: /x\n    permissions: '0999'\n", ErrValue, "write_files[0].permissions", 4},
		{"bad encoding", "#cloud-config\nwrite_files:\n  - path: /x\n    encoding: rot13\n", ErrValue, "write_files[0].encoding", 4},
		{"empty argv", "#cloud-config\nruncmd:\n  - []\n", ErrValue, "runcmd[0]", 3},
		{"runcmd map", "#cloud-config\nruncmd:\n  - {a: b}\n", ErrType, "runcmd[0]", 3},
		{"duplicate", "#cloud-config\nhostname: a\nhostname: b\n", ErrDuplicate, "hostname", 3},
		{"huge", "#cloud-config\n" + strings.Repeat("#", MaxSize), ErrTooLarge, "(file)", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse(strings.NewReader(c.in))
			var e *Error
			if cfg != nil || !errors.Is(err, c.err) || !errors.As(err, &e) {
				t.Fatalf("got %v, %v; want %v", cfg, err, c.err)
			}
			if e.Key != c.key || e.Line != c.line {
				t.Fatalf("got %s line %d, want %s line %d (%v)", e.Key, e.Line, c.key, c.line, err)
			}
		})
	}
}

func TestHeaderOnly(t *testing.T) {
	c, err := ParseBytes([]byte("#cloud-config\n"))
	if err != nil || !cmp.Equal(c, &Config{}) {
		t.Fatal(c, err)
	}
	out, _ := Marshal(c)
	if string(out) != "#cloud-config\n" {
		t.Fatalf("%q", out)
	}
}

var anyText = rapid.StringMatching(`[ -~\n\tä]{1,40}`)

func TestPropertyRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := &Config{Hostname: rapid.StringMatching(`[a-z][a-z0-9-]{0,20}`).Draw(t, "host")}
		for range rapid.IntRange(0, 3).Draw(t, "users") {
			if rapid.Bool().Draw(t, "default") {
				c.Users = append(c.Users, User{Default: true})
				continue
			}
			u := User{Name: rapid.StringMatching(`[a-z][a-z0-9]{0,8}`).Draw(t, "name"), Shell: rapid.SampledFrom([]string{"", "/bin/sh", "yes", "0644"}).Draw(t, "shell")}
			u.Groups = rapid.SliceOfN(rapid.StringMatching(`[a-z]{1,6}`), 0, 3).Draw(t, "groups")
			if len(u.Groups) == 0 {
				u.Groups = nil
			}
			if rapid.Bool().Draw(t, "lock") {
				b := rapid.Bool().Draw(t, "lockv")
				u.LockPasswd = &b
			}
			c.Users = append(c.Users, u)
		}
		for range rapid.IntRange(0, 3).Draw(t, "files") {
			c.WriteFiles = append(c.WriteFiles, WriteFile{
				Path:        "/" + rapid.StringMatching(`[a-z/]{1,10}`).Draw(t, "path"),
				Content:     rapid.SampledFrom([]string{"", "x"}).Draw(t, "c0") + anyText.Draw(t, "content"),
				Permissions: rapid.SampledFrom([]string{"", "0644", "0755", "600"}).Draw(t, "perm"),
				Append:      rapid.Bool().Draw(t, "append"),
			})
		}
		for range rapid.IntRange(0, 3).Draw(t, "cmds") {
			if rapid.Bool().Draw(t, "argv") {
				c.RunCmd = append(c.RunCmd, Command{Argv: rapid.SliceOfN(anyText, 1, 4).Draw(t, "args")})
			} else {
				c.RunCmd = append(c.RunCmd, Command{Shell: anyText.Draw(t, "shell")})
			}
		}
		b, err := Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseBytes(b)
		if err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		if diff := cmp.Diff(c, back); diff != "" {
			t.Fatalf("%s\n%s", diff, b)
		}
	})
}

func FuzzParse(f *testing.F) {
	web, _ := os.ReadFile("testdata/web.yaml")
	f.Add(web)
	f.Add([]byte("#cloud-config\nruncmd: [[ls, -l], 'echo a']\n"))
	f.Add([]byte("#cloud-config\nusers: &a [default, *a]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseBytes(b)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		out, err := Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseBytes(out)
		if err != nil {
			t.Fatalf("cannot reparse: %v\n%s", err, out)
		}
		if diff := cmp.Diff(c, back); diff != "" {
			t.Fatalf("%s\n%s", diff, out)
		}
	})
}

func TestSetupCommands(t *testing.T) {
	c := &Config{RunCmd: []Command{{Argv: []string{"/opt/register.sh", "-v"}}, {Shell: "echo ok"}}}
	got := c.SetupCommands()
	if len(got) != 2 || got[0].ID != "runcmd/0" || got[0].Argv[1] != "-v" || got[1].Line != "echo ok" || got[1].Argv != nil {
		t.Fatalf("%+v", got)
	}
}

func TestAliasExpansionBounded(t *testing.T) {
	list := "[" + strings.Repeat("x,", 5000) + "x]"
	in := "#cloud-config\na: &a " + list + "\nruncmd: [" + strings.Repeat("*a,", 5000) + "*a]\n"
	_, err := ParseBytes([]byte(in))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
	// A modest, honest use of an anchor still works.
	c, err := ParseBytes([]byte("#cloud-config\nkeys: &k [ssh-ed25519 AAAA a@b]\nusers:\n  - name: a\n    ssh_authorized_keys: *k\n"))
	if err != nil || len(c.Users[0].SSHAuthorizedKeys) != 1 {
		t.Fatal(c, err)
	}
}

func TestForInstance(t *testing.T) {
	b, _ := os.ReadFile("testdata/web.yaml")
	c, _ := ParseBytes(b)
	g := c.ForInstance("WEB-042", "fabric.example")
	if g.Hostname != "WEB-042" || g.FQDN != "WEB-042.fabric.example" || c.Hostname != "WEB-001" {
		t.Fatal(g.Hostname, g.FQDN, c.Hostname)
	}
	g.Users[1].Groups[0] = "x"
	g.RunCmd[0].Argv[0] = "y"
	if c.Users[1].Groups[0] != "adm" || c.RunCmd[0].Argv[0] != "/opt/tanzanite/register.sh" {
		t.Fatal("Clone shares slices")
	}
}

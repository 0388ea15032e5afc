package wire

import (
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

type captured struct {
	from string // "bird" or "gobgp"
	msg  []byte
}

// loadCaptures reads testdata/captures.txt: real messages between BIRD 2
// and GoBGP (see the comment at the top of the file).
func loadCaptures(t testing.TB) []captured {
	t.Helper()
	data, err := os.ReadFile("testdata/captures.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out []captured
	for _, line := range strings.Split(string(data), "\n") {
		from, h, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, captured{from, b})
	}
	return out
}

// TestCaptures decodes a real BIRD <-> GoBGP session: both OPENs, the
// session state Negotiate derives from them, and every other message with
// the receiver's DecodeOptions.
func TestCaptures(t *testing.T) {
	caps := loadCaptures(t)
	opens := map[string]*Open{}
	for _, c := range caps {
		if MessageType(c.msg[18]) == TypeOpen {
			o, err := ParseOpen(c.msg)
			if err != nil {
				t.Fatalf("%s OPEN: %v", c.from, err)
			}
			opens[c.from] = &o
		}
	}
	bird, gobgp := opens["bird"], opens["gobgp"]
	if bird == nil || gobgp == nil || bird.ASN != 4200000001 || gobgp.ASN != 65002 || !bird.FourOctetAS {
		t.Fatalf("opens: %+v %+v", bird, gobgp)
	}
	// Options for decoding what each side receives.
	atGoBGP, _ := Negotiate(gobgp, bird)
	atBIRD, _ := Negotiate(bird, gobgp)
	if !atGoBGP.AS4 || !atGoBGP.AddPath.Has(IPv4Unicast) || !atGoBGP.EBGP {
		t.Fatalf("negotiated at GoBGP: %+v", atGoBGP)
	}
	var announced, withdrawn, eor int
	for _, c := range caps {
		opts := &atBIRD
		if c.from == "bird" {
			opts = &atGoBGP
		}
		h, err := ParseHeader(c.msg, opts.maxLen())
		if err != nil {
			t.Fatal(err)
		}
		switch h.Type {
		case TypeKeepalive:
			err = ParseKeepalive(c.msg)
		case TypeNotification:
			var n Notification
			n, err = ParseNotification(c.msg)
			if n.Code != CodeCease || n.Subcode != SubAdministrativeShutdown {
				t.Errorf("notification %v", n)
			}
		case TypeUpdate:
			var u Update
			u, err = ParseUpdate(c.msg, opts)
			if err == nil && u.Action() != ActionNone {
				t.Errorf("%s UPDATE %x: %v", c.from, c.msg, u.Err())
			}
			if _, ok := u.EndOfRIB(); ok {
				eor++
			}
			for range u.Reachable() {
				announced++
			}
			for range u.Unreachable() {
				withdrawn++
			}
		}
		if err != nil {
			t.Errorf("%s %v: %v", c.from, h.Type, err)
		}
	}
	if announced < 5 || withdrawn < 2 || eor < 2 {
		t.Errorf("announced %d, withdrawn %d, End-of-RIB %d", announced, withdrawn, eor)
	}
}

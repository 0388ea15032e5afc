package header

import (
	"encoding/json"
	"testing"
)

func TestParseMAC(t *testing.T) {
	for _, s := range []string{"02:00:5e:10:00:01", "02-00-5E-10-00-01"} {
		m, err := ParseMAC(s)
		if err != nil || m != (MAC{2, 0, 0x5e, 0x10, 0, 1}) {
			t.Fatalf("ParseMAC(%q) = %v, %v", s, m, err)
		}
	}
	for _, s := range []string{"", "02:00:5e:10:00", "02:00:5e:10:00:0g", "02:00-5e:10:00:01", "0200.5e10.0001xxxx"} {
		if _, err := ParseMAC(s); err == nil {
			t.Fatalf("ParseMAC(%q) succeeded", s)
		}
	}
	if !BroadcastMAC.IsMulticast() || !BroadcastMAC.IsBroadcast() || (MAC{2}).IsMulticast() || !(MAC{2}).IsLocallyAdministered() {
		t.Fatal("MAC predicates")
	}
}

func TestMACText(t *testing.T) {
	type doc struct{ MAC MAC }
	in := doc{MAC{0x02, 0, 0x5e, 0x10, 0, 1}}
	js, err := json.Marshal(in)
	if err != nil || string(js) != `{"MAC":"02:00:5e:10:00:01"}` {
		t.Fatalf("%s %v", js, err)
	}
	var out doc
	if err := json.Unmarshal(js, &out); err != nil || out != in {
		t.Fatalf("%+v %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"MAC":"nonsense"}`), &out); err == nil {
		t.Fatal("bad MAC accepted")
	}
	b, _ := in.MAC.AppendText([]byte("mac="))
	if string(b) != "mac=02:00:5e:10:00:01" {
		t.Fatal(string(b))
	}
}

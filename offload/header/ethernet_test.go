package header

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
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

func TestPushPopTag(t *testing.T) {
	frame := synIPv4()
	orig := string(frame)
	buf := append(make([]byte, 2*VLANTagSize), frame...)
	inner := NewVLANTag(EtherTypeVLAN, 5, false, 100)
	outer := NewVLANTag(EtherTypeQinQ, 0, true, 7)
	e, err := PushTag(buf[VLANTagSize:], inner)
	if err != nil {
		t.Fatal(err)
	}
	e, err = PushTag(buf, outer)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseEthernet(e)
	if err != nil || p.Tags() != 2 || p.Tag(0) != outer || p.Tag(1) != inner || p.EtherType() != EtherTypeIPv4 {
		t.Fatalf("pushed frame % x: %v", []byte(e[:22]), err)
	}
	if _, err := ParseIPv4(p.Payload()); err != nil {
		t.Fatal(err)
	}
	_, err = PushTag(append(make([]byte, VLANTagSize), e...), inner)
	wantErr(t, err, ErrTooManyExtensions, "vlan tag")
	_, err = PushTag(buf, VLANTag{TPID: EtherTypeIPv4})
	wantErr(t, err, ErrBadValue, "vlan tpid")
	_, err = PushTag(buf[:VLANTagSize+10], inner)
	wantErr(t, err, ErrTruncated, "header")

	var tags []VLANTag
	for {
		var tag VLANTag
		var ok bool
		if e, tag, ok = e.PopTag(); !ok {
			break
		}
		tags = append(tags, tag)
	}
	if d := cmp.Diff([]VLANTag{outer, inner}, tags); d != "" {
		t.Fatal(d)
	}
	if string(e) != orig {
		t.Fatalf("pop after push did not restore the frame:\n% x\n% x", []byte(e), []byte(orig))
	}
}

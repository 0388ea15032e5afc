package unattend

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Marshal returns f as an answer file: UTF-8, four-space indentation,
// with the unattend and wcm namespaces declared on the root. Commands are
// checked as Parse checks them, so what Marshal writes Parse reads back.
func Marshal(f *File) ([]byte, error) {
	var b bytes.Buffer
	if err := Write(&b, f); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Write writes f to w; see Marshal.
func Write(w io.Writer, f *File) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	e := &writer{enc: xml.NewEncoder(w), w: w}
	e.enc.Indent("", "    ")
	rootAttrs := []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: Namespace},
		{Name: xml.Name{Local: "xmlns:wcm"}, Value: WCMNamespace}}
	e.open("unattend", append(rootAttrs, nsAttrs(f.Namespaces)...)...)
	for _, s := range f.Settings {
		e.open("settings", xml.Attr{Name: xml.Name{Local: "pass"}, Value: string(s.Pass)})
		for _, c := range s.Components {
			e.component(c)
		}
		e.close("settings")
	}
	e.raw(1, f.Extra)
	e.close("unattend")
	if e.err == nil {
		e.err = e.enc.Flush()
	}
	if e.err == nil {
		_, e.err = io.WriteString(w, "\n")
	}
	return e.err
}

// Validate applies the rules Parse enforces: known passes, one settings
// block per pass, named components, orders 1-500 unique per list, a
// command body in every command.
func (f *File) Validate() error {
	seen := map[Pass]bool{}
	for _, s := range f.Settings {
		where := "unattend/settings"
		if !s.Pass.valid() {
			return &Error{Element: where, Err: ErrValue, Detail: fmt.Sprintf("pass %q", s.Pass)}
		}
		if seen[s.Pass] {
			return &Error{Element: where, Err: ErrDuplicate, Detail: fmt.Sprintf("pass %q", s.Pass)}
		}
		seen[s.Pass] = true
		for _, c := range s.Components {
			where := where + "/component"
			if c.Name == "" {
				return &Error{Element: where, Err: ErrMissing, Detail: `attribute "name"`}
			}
			if c.ComputerName != "" {
				if why := computerNameProblem(c.ComputerName); why != "" {
					return &Error{Element: where + "/ComputerName", Err: ErrValue, Detail: why}
				}
			}
			orders := map[int]bool{}
			for _, r := range c.RunSynchronous {
				if err := checkCommand(where+"/RunSynchronous/RunSynchronousCommand", orders, r.Order, r.Path); err != nil {
					return err
				}
				if r.WillReboot > OnRequest {
					return &Error{Element: where + "/RunSynchronous/RunSynchronousCommand/WillReboot", Err: ErrValue, Detail: r.WillReboot.String()}
				}
			}
			orders = map[int]bool{}
			for _, s := range c.FirstLogonCommands {
				if err := checkCommand(where+"/FirstLogonCommands/SynchronousCommand", orders, s.Order, s.CommandLine); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func checkCommand(where string, orders map[int]bool, order int, body string) error {
	switch {
	case order < MinOrder || order > MaxOrder:
		return &Error{Element: where + "/Order", Err: ErrValue, Detail: fmt.Sprintf("%d outside %d-%d", order, MinOrder, MaxOrder)}
	case orders[order]:
		return &Error{Element: where, Err: ErrDuplicate, Detail: fmt.Sprintf("Order %d used twice", order)}
	case body == "":
		return &Error{Element: where, Err: ErrMissing, Detail: "command body"}
	}
	orders[order] = true
	return nil
}

type writer struct {
	enc *xml.Encoder
	w   io.Writer
	err error
}

func nsAttrs(ns []XMLNS) []xml.Attr {
	var out []xml.Attr
	for _, n := range ns {
		out = append(out, xml.Attr{Name: xml.Name{Local: "xmlns:" + n.Prefix}, Value: n.URI})
	}
	return out
}

// raw writes verbatim elements at the given indentation depth.
func (e *writer) raw(depth int, elems []RawXML) {
	for _, r := range elems {
		if e.err == nil {
			e.err = e.enc.Flush()
		}
		if e.err == nil {
			_, e.err = io.WriteString(e.w, "\n"+strings.Repeat("    ", depth)+string(r))
		}
	}
}

func (e *writer) open(name string, attrs ...xml.Attr) {
	if e.err == nil {
		e.err = e.enc.EncodeToken(xml.StartElement{Name: xml.Name{Local: name}, Attr: attrs})
	}
}

func (e *writer) close(name string) {
	if e.err == nil {
		e.err = e.enc.EncodeToken(xml.EndElement{Name: xml.Name{Local: name}})
	}
}

func (e *writer) leaf(name, value string) {
	e.open(name)
	if e.err == nil {
		e.err = e.enc.EncodeToken(xml.CharData(value))
	}
	e.close(name)
}

func actionAttr(a string) xml.Attr {
	if a == "" {
		a = "add"
	}
	return xml.Attr{Name: xml.Name{Local: "wcm:action"}, Value: a}
}

func (e *writer) component(c Component) {
	attrs := []xml.Attr{{Name: xml.Name{Local: "name"}, Value: c.Name}}
	for _, a := range [...]struct{ k, v string }{
		{"processorArchitecture", c.ProcessorArchitecture},
		{"publicKeyToken", c.PublicKeyToken},
		{"language", c.Language},
		{"versionScope", c.VersionScope},
	} {
		if a.v != "" {
			attrs = append(attrs, xml.Attr{Name: xml.Name{Local: a.k}, Value: a.v})
		}
	}
	e.open("component", append(attrs, nsAttrs(c.Namespaces)...)...)
	if c.ComputerName != "" {
		e.leaf("ComputerName", c.ComputerName)
	}
	if a := c.AutoLogon; a != nil {
		e.open("AutoLogon")
		if a.Password != nil {
			e.open("Password")
			e.leaf("Value", a.Password.Value)
			e.leaf("PlainText", strconv.FormatBool(a.Password.PlainText))
			e.close("Password")
		}
		e.leaf("Enabled", strconv.FormatBool(a.Enabled))
		if a.LogonCount > 0 {
			e.leaf("LogonCount", strconv.Itoa(a.LogonCount))
		}
		if a.Username != "" {
			e.leaf("Username", a.Username)
		}
		if a.Domain != "" {
			e.leaf("Domain", a.Domain)
		}
		e.close("AutoLogon")
	}
	if len(c.RunSynchronous) > 0 {
		e.open("RunSynchronous")
		for _, r := range c.RunSynchronous {
			e.open("RunSynchronousCommand", actionAttr(r.Action))
			e.leaf("Order", strconv.Itoa(r.Order))
			e.leaf("Path", r.Path)
			if r.Description != "" {
				e.leaf("Description", r.Description)
			}
			e.leaf("WillReboot", r.WillReboot.String())
			e.close("RunSynchronousCommand")
		}
		e.close("RunSynchronous")
	}
	if len(c.FirstLogonCommands) > 0 {
		e.open("FirstLogonCommands")
		for _, s := range c.FirstLogonCommands {
			e.open("SynchronousCommand", actionAttr(s.Action))
			e.leaf("Order", strconv.Itoa(s.Order))
			e.leaf("CommandLine", s.CommandLine)
			if s.Description != "" {
				e.leaf("Description", s.Description)
			}
			e.leaf("RequiresUserInput", strconv.FormatBool(s.RequiresUserInput))
			e.close("SynchronousCommand")
		}
		e.close("FirstLogonCommands")
	}
	e.raw(3, c.Extra)
	e.close("component")
}

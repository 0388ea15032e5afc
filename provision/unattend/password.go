package unattend

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf16"
)

// HidePassword encodes password as Windows System Image Manager does for
// <PlainText>false</PlainText>: the password with the element's name
// appended ("Password" for AutoLogon and local accounts,
// "AdministratorPassword" for UserAccounts/AdministratorPassword), as
// UTF-16LE, in base64. It hides the password from a casual reader; it is
// not encryption.
func HidePassword(password, element string) string {
	u := utf16.Encode([]rune(password + element))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// RevealPassword reverses HidePassword.
func RevealPassword(value, element string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return "", &Error{Element: element + "/Value", Err: ErrValue, Detail: "not base64: " + err.Error()}
	}
	if len(b)%2 != 0 {
		return "", &Error{Element: element + "/Value", Err: ErrValue, Detail: fmt.Sprintf("%d bytes is not UTF-16", len(b))}
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	s, ok := strings.CutSuffix(string(utf16.Decode(u)), element)
	if !ok {
		return "", &Error{Element: element + "/Value", Err: ErrValue, Detail: fmt.Sprintf("decoded value does not end in %q", element)}
	}
	return s, nil
}

// Plain returns the AutoLogon password in clear text, decoding it when
// PlainText is false.
func (a *AutoLogon) Plain() (string, error) {
	if a.Password == nil {
		return "", nil
	}
	if a.Password.PlainText {
		return a.Password.Value, nil
	}
	return RevealPassword(a.Password.Value, "Password")
}

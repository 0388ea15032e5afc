// Package unattend reads and writes Windows Setup answer files
// (unattend.xml, namespace urn:schemas-microsoft-com:unattend): the
// configuration passes (specialize, oobeSystem and the other five),
// components such as Microsoft-Windows-Shell-Setup and
// Microsoft-Windows-Deployment, ComputerName, AutoLogon, RunSynchronous
// (Order, Path, WillReboot Always / Never / OnRequest) and
// FirstLogonCommands (SynchronousCommand: Order 1-500, CommandLine,
// Description, RequiresUserInput). Other children of <unattend> and
// <component> (OOBE, UserAccounts, ...) are kept verbatim and written
// back; see [File].
//
// Parsing is token by token over encoding/xml, so every error is an *Error
// naming the element (as a path from the root) and its line. Input is
// bounded to MaxSize bytes and MaxDepth levels of nesting; values are
// checked (orders in range and unique, booleans, WillReboot, computer
// names). Time values and passwords are carried as text; a
// <Password><PlainText>false</PlainText> value is base64 as Windows
// writes it and is not decoded here.
//
// No RFC governs this format; it is specified by Microsoft's "Unattended
// Windows Setup Reference". The exit-code contract of OnRequest is 0 =
// continue, 1 = reboot then run the next command, 2 = reboot then run this
// command again; package setup implements it.
package unattend

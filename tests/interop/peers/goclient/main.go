// goclient: Go's crypto/tls as a real client for the real-client matrix
// (test_real_clients*.sh): two connections from this one process sharing a
// ClientSessionCache, so the second offers the first's session.
// Usage: goclient PORT CAFILE 1.2|1.3 PATH. Prints 'connN version= cipher=
// alpn= reused=' (Go's ConnectionState, IANA cipher names) and the body as
// 'bodyN ' lines. Standard library only: it is built offline.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

func main() {
	port, cafile, ver, path := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	pem, err := os.ReadFile(cafile)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	v := uint16(tls.VersionTLS12)
	if ver == "1.3" {
		v = tls.VersionTLS13
	}
	cfg := &tls.Config{
		RootCAs: pool, ServerName: "localhost", MinVersion: v, MaxVersion: v,
		NextProtos:         []string{"http/1.1"},
		ClientSessionCache: tls.NewLRUClientSessionCache(4),
	}
	for n := 1; n <= 2; n++ {
		c, err := tls.Dial("tcp", "127.0.0.1:"+port, cfg)
		if err != nil {
			// The error is the row's evidence (e.g. an alert after a HelloRetryRequest).
			fmt.Printf("conn%d error %v\n", n, err)
			os.Exit(1)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", path)
		// To EOF: a TLS 1.3 ticket arrives after the handshake and is stored while reading.
		body, _ := io.ReadAll(c)
		st := c.ConnectionState()
		names := map[uint16]string{tls.VersionTLS12: "TLSv1.2", tls.VersionTLS13: "TLSv1.3"}
		alpn := st.NegotiatedProtocol
		if alpn == "" {
			alpn = "none"
		}
		reused := "no"
		if st.DidResume {
			reused = "yes"
		}
		fmt.Printf("conn%d version=%s cipher=%s alpn=%s reused=%s\n", n, names[st.Version],
			tls.CipherSuiteName(st.CipherSuite), alpn, reused)
		for _, line := range strings.Split(string(body), "\n") {
			fmt.Printf("body%d %s\n", n, strings.TrimRight(line, "\r"))
		}
		c.Close()
	}
}

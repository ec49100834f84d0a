// goserver: an HTTPS server from Go's standard library for
// tests/interop/test_parley_client_vs_servers.sh. It serves one version
// (-version 1.2 or 1.3), ALPN http/1.1, and session tickets unless -tickets=false
// (Go's server resumes by tickets only: it keeps no session-ID cache). Each
// response, and one line on stdout, says what the server saw so the test can
// compare it with parley client's summary.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
)

// versionName: tls.VersionName only exists from Go 1.21; Debian 12 has 1.19.
func versionName(v uint16) string {
	switch v {
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return fmt.Sprintf("0x%04x", v)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	certFile := flag.String("cert", "", "certificate chain (PEM)")
	keyFile := flag.String("key", "", "private key (PEM)")
	version := flag.String("version", "1.3", "1.2 or 1.3: the only version served")
	tickets := flag.Bool("tickets", true, "issue session tickets (SessionTicketsDisabled when false)")
	flag.Parse()

	var v uint16 = tls.VersionTLS13
	if *version == "1.2" {
		v = tls.VersionTLS12
	}
	cfg := &tls.Config{
		MinVersion:             v,
		MaxVersion:             v,
		NextProtos:             []string{"http/1.1"},
		SessionTicketsDisabled: !*tickets,
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := r.TLS
		line := fmt.Sprintf("go proto=%s cipher=%s resumed=%v alpn=%s",
			versionName(s.Version), tls.CipherSuiteName(s.CipherSuite), s.DidResume, s.NegotiatedProtocol)
		fmt.Println(line)
		fmt.Fprintf(w, "hello from %s\n", line)
	})
	srv := &http.Server{
		Handler:   handler,
		TLSConfig: cfg,
		// A non-nil, empty map keeps net/http from adding h2 to NextProtos:
		// this server speaks HTTP/1.1 only, as advertised.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ErrorLog:     log.New(os.Stdout, "go-http: ", 0),
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("ready %s\n", ln.Addr())
	log.Fatal(srv.ServeTLS(ln, *certFile, *keyFile))
}

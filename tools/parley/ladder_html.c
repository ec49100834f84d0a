/* ladder_html.c - the ladder drawn as one self-contained HTML page: inline
 * CSS and SVG only, no script and nothing fetched (the CSP meta says so, so
 * a browser would refuse anything else). Every text that came from an event
 * (and through it from the peer: names, ALPN, SNI) goes through
 * ladder_escape. Layout: a grid of rows, time | client lane | middle |
 * server lane; the two lifelines are the page's background. */
#include "ladder.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

void ladder_escape(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        case '\n':
        case '\t': fputc(*p, f); break;
        default:
            /* Control bytes shown, not interpreted (as names.c does). */
            if (*p < 0x20 || *p == 0x7f) fprintf(f, "\\x%02x", *p);
            else fputc(*p, f);
        }
    }
}

/* The value of "key: value" in a step's detail, escaped into f; 0 if absent.
 * Stops at the first space when `word` (e.g. "x25519 (32 bytes)" -> x25519). */
static int field(FILE *f, const char *detail, const char *key, int word)
{
    size_t kl = strlen(key);
    for (const char *p = detail; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n > kl && strncmp(p, key, kl) == 0) {
            char v[256];
            size_t vl = n - kl < sizeof v - 1 ? n - kl : sizeof v - 1;
            memcpy(v, p + kl, vl);
            v[vl] = 0;
            if (word && strchr(v, ' ')) *strchr(v, ' ') = 0;
            if (f) ladder_escape(f, v);
            return 1;
        }
        p += n;
        if (*p) p++;
    }
    return 0;
}

static const ladder_step *find(const ladder *l, const char *name, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->steps[i].name, name) == 0 && (!key || field(NULL, l->steps[i].detail, key, 0))) return &l->steps[i];
    return NULL;
}

/* The box at the top: what the steps say was agreed, and how it ended. */
static void summary(const ladder *l, FILE *f)
{
    const ladder_step *sh = find(l, "ServerHello", NULL), *ske = find(l, "ServerKeyExchange", NULL), *fatal = NULL;
    int done = find(l, "handshake complete", NULL) != NULL, hrr = 0, resumed = 0;
    for (size_t i = 0; i < l->n; i++) {
        const ladder_step *s = &l->steps[i];
        hrr |= s->hrr;
        resumed |= s->resumption;
        if (!fatal && s->kind == LADDER_ALERT && strstr(s->detail, "level: fatal")) fatal = s;
    }
    fputs("<table class=\"summary\">\n<tr><th>outcome</th><td>", f);
    if (done) fputs("<span class=\"okay\">handshake complete</span>", f);
    else if (fatal) {
        fputs("<span class=\"bad\">failed: ", f);
        if (!field(f, fatal->detail, "description: ", 0)) fputs("alert", f);
        fprintf(f, " (alert %s)</span>", fatal->to_server == !l->is_server ? "sent" : "received");
    } else fputs("<span class=\"bad\">handshake not complete</span>", f);
    fputs("</td></tr>\n<tr><th>protocol</th><td>", f);
    if (!sh) fputs("-", f);
    else if (!field(f, sh->detail, "version: ", 0)) fputs("TLSv1.2", f); /* no supported_versions: RFC 5246 */
    fputs("</td></tr>\n<tr><th>cipher</th><td>", f);
    if (!sh || !field(f, sh->detail, "cipher_suite: ", 0)) fputs("-", f);
    fputs("</td></tr>\n<tr><th>group</th><td>", f);
    if (!(sh && field(f, sh->detail, "key_share: ", 1)) && !(ske && field(f, ske->detail, "curve: ", 0))) fputs("-", f);
    fprintf(f, "</td></tr>\n<tr><th>resumed</th><td>%s</td></tr>\n<tr><th>HelloRetryRequest</th><td>%s</td></tr>\n",
            resumed ? "yes" : "no", hrr ? "yes" : "no");
    fprintf(f, "<tr><th>steps</th><td>%zu%s</td></tr>\n</table>\n", l->n + l->dropped,
            l->dropped ? " (the last ones not drawn: the page keeps at most 200)" : "");
}

/* An arrow between the lifelines, its head at the receiver. The head is a
 * nested svg at x=0 or x=100% so it keeps its shape at any width. */
static void arrow(FILE *f, int to_server, const char *cls)
{
    fprintf(f, "<svg class=\"arrow %s\" width=\"100%%\" height=\"14\" aria-hidden=\"true\">"
               "<line x1=\"0\" y1=\"7\" x2=\"100%%\" y2=\"7\"/>",
            cls);
    if (to_server) fputs("<svg x=\"100%\" y=\"0\" overflow=\"visible\"><polygon points=\"-11,1 0,7 -11,13\"/></svg>", f);
    else fputs("<svg x=\"0\" y=\"0\" overflow=\"visible\"><polygon points=\"11,1 0,7 11,13\"/></svg>", f);
    fputs("</svg>", f);
}

/* A key on our lifeline: a ring and a bit. */
static const char key_icon[] = "<svg class=\"key\" width=\"22\" height=\"12\" aria-hidden=\"true\"><circle cx=\"5\" cy=\"6\" r=\"4\"/>"
                               "<line x1=\"9\" y1=\"6\" x2=\"21\" y2=\"6\"/><line x1=\"17\" y1=\"6\" x2=\"17\" y2=\"11\"/></svg>";

static void detail(FILE *f, const char *d)
{
    if (!d || !*d) return;
    fputs("<pre class=\"detail\">", f);
    ladder_escape(f, d);
    fputs("</pre>", f);
}

/* Where each secret comes from, for the library's key labels (the events
 * carry no detail for them; src/handshake/ names them). */
static const struct {
    const char *prefix, *why;
} key_notes[] = {
    {"handshake traffic keys", "HKDF-Extract of the (EC)DHE shared secret into the handshake secret; "
                               "Derive-Secret over ClientHello..ServerHello (RFC 8446 7.1)"},
    {"server handshake traffic", "from the handshake secret over ClientHello..ServerHello (RFC 8446 7.1)"},
    {"client handshake traffic", "from the handshake secret over ClientHello..ServerHello (RFC 8446 7.1)"},
    {"server application traffic", "from the master secret over ClientHello..server Finished (RFC 8446 7.1)"},
    {"client application traffic", "from the master secret over ClientHello..server Finished (RFC 8446 7.1)"},
    {"client early traffic", "from the PSK's early secret over the ClientHello (RFC 8446 7.1)"},
    {"application traffic secret updated", "the next generation of the traffic secret (KeyUpdate, RFC 8446 7.2)"},
    {"master secret derived", "PRF(premaster, client random + server random, or the session hash with EMS) "
                              "(RFC 5246 8.1, RFC 7627 4)"},
};

static const char *key_note(const char *name)
{
    for (size_t i = 0; i < sizeof key_notes / sizeof key_notes[0]; i++)
        if (strncmp(name, key_notes[i].prefix, strlen(key_notes[i].prefix)) == 0) return key_notes[i].why;
    return NULL;
}

/* RFC 8446 6.1: close_notify and user_canceled close; every other alert
 * (6.2) is an error, drawn red. */
static int closure_alert(const ladder_step *s)
{
    return s->kind == LADDER_ALERT && (strstr(s->detail, "description: close_notify") || strstr(s->detail, "description: user_canceled"));
}

static void step(const ladder *l, const ladder_step *s, FILE *f)
{
    const char *cls = closure_alert(s)           ? "closure"
                      : s->kind == LADDER_ALERT  ? "alert"
                      : s->hrr                   ? "hrr"
                      : s->kind == LADDER_RECORD ? "record"
                                                 : "message";
    fputs("<div class=\"row\">", f);
    if (s->ms >= 0) fprintf(f, "<div class=\"time\">+%.2f ms</div>", s->ms);
    else fputs("<div class=\"time\"></div>", f);
    switch (s->kind) {
    case LADDER_MESSAGE:
    case LADDER_RECORD:
    case LADDER_ALERT:
        fprintf(f, "<div class=\"step %s %s%s\"><div class=\"label\">", cls, s->to_server ? "c2s" : "s2c",
                s->resumption ? " resumption" : "");
        if (strstr(s->detail, "keys switched")) fputs(key_icon, f); /* a TLS 1.2 CCS: keys switched on */
        ladder_escape(f, s->name);
        if (s->length) fprintf(f, " <span class=\"len\">%zu bytes</span>", s->length);
        fprintf(f, " <span class=\"dir\">%s</span></div>", s->to_server ? "client &#8594; server" : "server &#8594; client");
        arrow(f, s->to_server, cls);
        detail(f, s->detail);
        break;
    case LADDER_KEYS:
        fprintf(f, "<div class=\"step keys %s\"><div class=\"label\">%s", l->is_server ? "ours-s" : "ours-c", key_icon);
        ladder_escape(f, s->name);
        if (key_note(s->name)) fprintf(f, " <span class=\"why\">%s</span>", key_note(s->name));
        fputs("</div>", f);
        detail(f, s->detail);
        break;
    default:
        fprintf(f, "<div class=\"step info%s%s\"><div class=\"label\">", s->hrr ? " hrr" : "", s->resumption ? " resumption" : "");
        ladder_escape(f, s->name);
        /* TLS 1.2's abbreviated handshake derives no master secret: the
         * session's is used with the two new randoms (RFC 5246 7.3). */
        if (strcmp(s->name, "session resumed") == 0)
            fprintf(f, " <span class=\"why\">%s the session's master secret; new keys from it and the two new randoms "
                       "(RFC 5246 6.3)</span>", key_icon);
        fputs("</div>", f);
        detail(f, s->detail);
        break;
    }
    fputs("</div></div>\n", f);
}

static const char css[] =
    "body{font:14px/1.35 system-ui,sans-serif;margin:16px;color:#111;background:#fff}"
    "h1{font-size:20px;margin:0 0 8px}"
    ".summary{border-collapse:collapse;margin:0 0 14px}.summary th,.summary td{border:1px solid #ccc;padding:2px 8px;text-align:left}"
    ".okay{color:#060;font-weight:bold}.bad{color:#c00;font-weight:bold}"
    /* The lifelines: two vertical lines at the centres of the lanes. */
    ".ladder{max-width:1100px;background-image:linear-gradient(#444,#444),linear-gradient(#444,#444);"
    "background-size:2px 100%,2px 100%;background-position:134px 0,calc(100% - 66px) 0;background-repeat:no-repeat}"
    ".row{display:grid;grid-template-columns:70px 130px 1fr 130px;align-items:start;margin:0 0 6px}"
    ".party{grid-column:2/5;display:flex;justify-content:space-between}"
    ".party div{width:130px;text-align:center;background:#234;color:#fff;padding:6px 0;border-radius:4px;font-weight:bold}"
    ".party small{display:block;font-weight:normal;color:#cde}"
    ".time{grid-column:1;color:#666;font-size:12px;padding-top:2px}"
    ".step.message,.step.record,.step.alert,.step.hrr,.step.closure{grid-column:2/5;margin:0 65px}"
    ".step .label{font-weight:bold;text-align:center}.len,.dir{font-weight:normal;color:#666;font-size:12px}"
    ".arrow{display:block;overflow:visible}.arrow line{stroke:#222;stroke-width:2}.arrow polygon{fill:#222}"
    ".record .arrow line{stroke:#777;stroke-dasharray:6 4}.record .arrow polygon{fill:#777}"
    ".alert .label{color:#c00}.alert .arrow line{stroke:#d00;stroke-width:3}.alert .arrow polygon{fill:#d00}"
    ".alert .detail{color:#c00;border-color:#d00;background:#fee}"
    ".closure .label{color:#446}.closure .arrow line{stroke:#669;stroke-width:2}.closure .arrow polygon{fill:#669}"
    ".why{color:#765;font-size:12px}.label .key{vertical-align:middle;margin-right:3px}"
    ".label .key circle,.label .key line{fill:none;stroke:#a70;stroke-width:2}"
    ".hrr .label{color:#b50}.hrr .arrow line{stroke:#e80;stroke-width:3}.hrr .arrow polygon{fill:#e80}"
    ".detail{font:12px/1.3 ui-monospace,monospace;margin:2px 8px 0;padding:3px 6px;background:#f6f6f6;border-left:3px solid #bbb;"
    "white-space:pre-wrap;word-break:break-all}"
    ".keys{margin:0}.keys .label{display:inline-block;background:#fff3c4;border:1px solid #c90;border-radius:3px;padding:1px 6px;"
    "font-weight:normal}.keys .key circle,.keys .key line{fill:none;stroke:#a70;stroke-width:2}"
    ".keys.ours-c{grid-column:2/4;margin-left:60px}.keys.ours-s{grid-column:3/5;margin-right:60px;text-align:right}"
    ".keys .detail{text-align:left;background:#fffbe8;border-color:#c90}"
    ".info{grid-column:2/5;margin:0 150px;text-align:center}.info .label{display:inline-block;border:1px dashed #999;"
    "border-radius:3px;padding:1px 8px;color:#444;background:#fff}.info .detail{text-align:left}"
    ".info.hrr .label{border:2px solid #e80;color:#b50;background:#fff4e6}"
    ".step.resumption .label{color:#060}.resumption .arrow line{stroke:#393;stroke-width:3}.resumption .arrow polygon{fill:#393}"
    ".info.resumption .label{border:2px solid #393;color:#060;background:#eefbea}"
    ".legend{margin-top:16px;color:#444;font-size:12px}.legend span{display:inline-block;margin-right:14px}"
    ".sw{display:inline-block;width:18px;height:4px;vertical-align:middle;margin-right:4px}";

int ladder_write_html(const ladder *l, FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          /* Nothing runs and nothing is fetched, whatever a peer put in a name. */
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n<title>",
          f);
    ladder_escape(f, title);
    fprintf(f, "</title>\n<style>%s</style></head>\n<body>\n<h1>", css);
    ladder_escape(f, title);
    fputs("</h1>\n", f);
    summary(l, f);
    fprintf(f, "<div class=\"ladder\">\n<div class=\"row\"><div class=\"party\"><div>Client<small>%s</small></div>"
               "<div>Server<small>%s</small></div></div></div>\n",
            l->is_server ? "peer" : "parley (this side)", l->is_server ? "parley (this side)" : "peer");
    for (size_t i = 0; i < l->n; i++) step(l, &l->steps[i], f);
    fputs("</div>\n<div class=\"legend\"><span><i class=\"sw\" style=\"background:#222\"></i>handshake message</span>"
          "<span><i class=\"sw\" style=\"background:#777\"></i>record (ChangeCipherSpec, early data)</span>"
          "<span><i class=\"sw\" style=\"background:#e80\"></i>HelloRetryRequest</span>"
          "<span><i class=\"sw\" style=\"background:#393\"></i>resumption</span>"
          "<span><i class=\"sw\" style=\"background:#c90\"></i>keys derived or switched on (this side)</span>"
          "<span><i class=\"sw\" style=\"background:#d00\"></i>error alert</span>"
          "<span><i class=\"sw\" style=\"background:#669\"></i>closure alert</span>"
          "<br>Times are since the first step, as this side saw them. docs/ladder.md explains the page.</div>\n"
          "</body></html>\n",
          f);
    return ferror(f) ? -1 : 0;
}

int ladder_save(const ladder *l, const char *path, const char *title, int exclusive)
{
    /* O_NOFOLLOW: a symlink planted at the name is not followed. Exclusive
     * (the server): a file, FIFO or hard link already at the predictable name
     * is never opened, so it can neither be overwritten nor block the
     * connection's thread in open(); O_NONBLOCK as well in case the name is a
     * FIFO on a file system without O_EXCL semantics. Only a regular file is
     * written. */
    int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | (exclusive ? O_EXCL : O_TRUNC);
    int fd = open(path, flags, 0644);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    int rc = ladder_write_html(l, f, title);
    if (fclose(f) != 0) rc = -1;
    if (rc < 0 && !errno) errno = EIO;
    return rc;
}

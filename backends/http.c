/*
 * http: GET requests to container engines over unix sockets, driven by
 * libcurl's multi_socket interface on the agent's event_base.
 *
 * libcurl tells us which sockets to watch (socket callback) and when to
 * wake it (timer callback); we turn those into one libevent event per
 * socket and one timer, and after every curl_multi_socket_action we drain
 * curl_multi_info_read to learn which transfers ended.
 *
 * libcurl refuses most multi calls made from inside its own callbacks
 * (CURLM_RECURSIVE_API_CALL), and our users call http_get/http_cancel
 * from inside theirs.  So while we are inside a dispatch (depth > 0) new
 * requests wait on a pending list and cancelled ones are only flagged;
 * both are settled at the top, when the outermost dispatch returns.
 */
#include <sys/queue.h>

#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "http.h"

/* Response headers are tiny for engines; a flood is an error. */
#define HTTP_HEADERS_CAP (64 * 1024)
/* Streams have no overall timeout, but connecting must not hang. */
#define HTTP_CONNECT_TIMEOUT_MS 5000L

struct http_header {
	char *name;
	char *value;
};

struct http_request {
	struct http *http;
	CURL *easy;
	TAILQ_ENTRY(http_request) entry;

	bool stream;
	bool added; /* handed to the multi handle */
	bool cancelled; /* no more callbacks; free at top */
	bool finished; /* done_cb called; free at top */

	http_done_cb done_cb;
	http_data_cb data_cb;
	http_headers_cb headers_cb;
	void *arg;

	int error; /* set by our callbacks: -EMSGSIZE, ... */
	long status;

	char *body;
	size_t len;
	size_t size;
	size_t cap;

	struct http_header *headers;
	size_t nheaders;
	size_t headers_bytes;
	bool headers_complete;

	char errbuf[CURL_ERROR_SIZE];
};

TAILQ_HEAD(http_requests, http_request);

struct http_sock {
	struct http *http;
	LIST_ENTRY(http_sock) entry;
	curl_socket_t fd;
	struct event *ev;
};

struct http {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	struct http_requests requests;
	LIST_HEAD(, http_sock) socks;
	int depth;
	bool dead; /* http_free called inside a dispatch */
};

static void http_settle(struct http *);
static void http_destroy(struct http *);

static void
http_request_free(struct http_request *req)
{
	size_t i;

	if (req->easy != NULL)
		curl_easy_cleanup(req->easy);
	for (i = 0; i < req->nheaders; i++) {
		free(req->headers[i].name);
		free(req->headers[i].value);
	}
	free(req->headers);
	free(req->body);
	free(req);
}

/* Takes req off the multi handle and frees it; only at the top. */
static void
http_request_reap(struct http_request *req)
{
	struct http *http = req->http;

	TAILQ_REMOVE(&http->requests, req, entry);
	if (req->added)
		curl_multi_remove_handle(http->multi, req->easy);
	http_request_free(req);
}

static void
http_headers_clear(struct http_request *req)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++) {
		free(req->headers[i].name);
		free(req->headers[i].value);
	}
	req->nheaders = 0;
	req->headers_bytes = 0;
	req->headers_complete = false;
}

static size_t
http_header_line(char *buf, size_t size, size_t nitems, void *arg)
{
	struct http_request *req = arg;
	size_t n = size * nitems, nlen, vstart, vend;
	struct http_header *h;
	char *colon;

	if (req->cancelled)
		return 0;
	req->headers_bytes += n;
	if (req->headers_bytes > HTTP_HEADERS_CAP) {
		req->error = -EMSGSIZE;
		return 0;
	}

	/* A status line starts a new response (after 1xx, say). */
	if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
		http_headers_clear(req);
		req->headers_bytes = n;
		colon = memchr(buf, ' ', n);
		req->status = colon != NULL ? strtol(colon + 1, NULL, 10) : 0;
		return n;
	}

	if (n <= 2 && (n == 0 || buf[0] == '\r' || buf[0] == '\n')) {
		/* The blank line: a final response's headers are all here. */
		if (req->status >= 200 && !req->headers_complete) {
			req->headers_complete = true;
			if (req->headers_cb != NULL) {
				if (req->headers_cb(
					req, req->status, req->arg) != 0 ||
				    req->cancelled) {
					req->error = -ECANCELED;
					return 0;
				}
			}
		}
		return n;
	}

	colon = memchr(buf, ':', n);
	if (colon == NULL)
		return n;
	nlen = colon - buf;
	vstart = nlen + 1;
	while (vstart < n && (buf[vstart] == ' ' || buf[vstart] == '\t'))
		vstart++;
	vend = n;
	while (vend > vstart &&
	    (buf[vend - 1] == '\r' || buf[vend - 1] == '\n' ||
		buf[vend - 1] == ' ' || buf[vend - 1] == '\t'))
		vend--;

	h = reallocarray(req->headers, req->nheaders + 1, sizeof *h);
	if (h == NULL) {
		req->error = -ENOMEM;
		return 0;
	}
	req->headers = h;
	h = &req->headers[req->nheaders];
	h->name = strndup(buf, nlen);
	h->value = strndup(buf + vstart, vend - vstart);
	if (h->name == NULL || h->value == NULL) {
		free(h->name);
		free(h->value);
		req->error = -ENOMEM;
		return 0;
	}
	req->nheaders++;
	return n;
}

static size_t
http_write(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct http_request *req = arg;
	size_t n = size * nmemb, want;
	char *p;

	if (req->cancelled)
		return 0;

	if (req->stream) {
		if (req->data_cb(req, buf, n, req->arg) != 0 ||
		    req->cancelled) {
			req->error = -ECANCELED;
			return 0;
		}
		return n;
	}

	if (n > req->cap - req->len) {
		req->error = -EMSGSIZE;
		return 0;
	}
	if (req->len + n + 1 > req->size) {
		want = req->size == 0 ? 4096 : req->size;
		while (want < req->len + n + 1)
			want *= 2;
		if (want > req->cap + 1)
			want = req->cap + 1;
		p = realloc(req->body, want);
		if (p == NULL) {
			req->error = -ENOMEM;
			return 0;
		}
		req->body = p;
		req->size = want;
	}
	memcpy(req->body + req->len, buf, n);
	req->len += n;
	req->body[req->len] = '\0';
	return n;
}

static int
http_map_error(struct http_request *req, CURLcode rc)
{
	long oserr = 0;

	if (req->error != 0)
		return req->error;
	switch (rc) {
	case CURLE_OK:
		return 0;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(req->easy, CURLINFO_OS_ERRNO, &oserr);
		if (oserr == ENOENT || oserr == ENOTDIR)
			return -ENOENT;
		/* Another user's socket (a user's portlight, root's docker). */
		if (oserr == EACCES || oserr == EPERM)
			return -EACCES;
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_FILESIZE_EXCEEDED:
		return -EMSGSIZE;
	default:
		return -EIO;
	}
}

/* Reports every transfer libcurl says has ended. */
static void
http_check_done(struct http *http)
{
	struct http_request *req;
	CURLMsg *msg;
	int left, result;
	const char *body;

	while ((msg = curl_multi_info_read(http->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		req = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &req);
		if (req == NULL || req->cancelled || req->finished)
			continue;
		result = http_map_error(req, msg->data.result);
		if (result == 0)
			req->errbuf[0] = '\0';
		else if (req->errbuf[0] == '\0')
			snprintf(req->errbuf, sizeof req->errbuf, "%s",
			    result == -EMSGSIZE ? "response too large"
				: result == -ECANCELED
				? "cancelled"
				: curl_easy_strerror(msg->data.result));
		req->finished = true;
		if (req->stream || result != 0)
			body = NULL;
		else
			body = req->body != NULL ? req->body : "";
		req->done_cb(req, result, result == 0 ? req->status : 0, body,
		    body != NULL ? req->len : 0, req->arg);
	}
}

/* Runs once the outermost dispatch returns: what had to wait, now. */
static void
http_settle(struct http *http)
{
	struct http_request *req, *next;

	if (http->dead) {
		http_destroy(http);
		return;
	}
again:
	for (req = TAILQ_FIRST(&http->requests); req != NULL; req = next) {
		next = TAILQ_NEXT(req, entry);
		if (req->cancelled || req->finished) {
			http_request_reap(req);
			continue;
		}
		if (req->added)
			continue;
		if (curl_multi_add_handle(http->multi, req->easy) == CURLM_OK) {
			req->added = true;
			continue;
		}
		req->finished = true;
		snprintf(req->errbuf, sizeof req->errbuf, "%s",
		    "curl_multi_add_handle failed");
		http->depth++;
		req->done_cb(req, -ENOMEM, 0, NULL, 0, req->arg);
		http->depth--;
		if (http->dead) {
			http_destroy(http);
			return;
		}
		/* The callback may have changed the list under us. */
		goto again;
	}
}

static void
http_action(struct http *http, curl_socket_t fd, int what)
{
	int running;

	http->depth++;
	curl_multi_socket_action(http->multi, fd, what, &running);
	http_check_done(http);
	http->depth--;
	if (http->depth == 0)
		http_settle(http);
}

static void
http_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http *http = arg;
	int action = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	http_action(http, fd, action);
}

static void
http_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	http_action(arg, CURL_SOCKET_TIMEOUT, 0);
}

static int
http_multi_timer(CURLM *multi, long timeout_ms, void *arg)
{
	struct http *http = arg;
	struct timeval tv;

	if (timeout_ms < 0) {
		evtimer_del(http->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(http->timer, &tv);
	return 0;
}

static int
http_multi_socket(
    CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct http *http = arg;
	struct http_sock *s = sockp;
	short kind;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			LIST_REMOVE(s, entry);
			if (s->ev != NULL)
				event_free(s->ev);
			free(s);
			curl_multi_assign(http->multi, fd, NULL);
		}
		return 0;
	}

	if (s == NULL) {
		s = calloc(1, sizeof *s);
		if (s == NULL)
			return -1;
		s->http = http;
		s->fd = fd;
		LIST_INSERT_HEAD(&http->socks, s, entry);
		curl_multi_assign(http->multi, fd, s);
	} else if (s->ev != NULL) {
		event_free(s->ev);
		s->ev = NULL;
	}
	kind = EV_PERSIST;
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	s->ev = event_new(http->base, fd, kind, http_event_cb, http);
	if (s->ev == NULL)
		return -1;
	event_add(s->ev, NULL);
	return 0;
}

struct http *
http_new(struct event_base *base)
{
	struct http *http;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	http = calloc(1, sizeof *http);
	if (http == NULL)
		return NULL;
	http->base = base;
	TAILQ_INIT(&http->requests);
	LIST_INIT(&http->socks);
	http->multi = curl_multi_init();
	http->timer = evtimer_new(base, http_timer_cb, http);
	if (http->multi == NULL || http->timer == NULL) {
		http_destroy(http);
		return NULL;
	}
	curl_multi_setopt(
	    http->multi, CURLMOPT_SOCKETFUNCTION, http_multi_socket);
	curl_multi_setopt(http->multi, CURLMOPT_SOCKETDATA, http);
	curl_multi_setopt(
	    http->multi, CURLMOPT_TIMERFUNCTION, http_multi_timer);
	curl_multi_setopt(http->multi, CURLMOPT_TIMERDATA, http);
	return http;
}

static void
http_destroy(struct http *http)
{
	struct http_request *req;
	struct http_sock *s;

	while ((req = TAILQ_FIRST(&http->requests)) != NULL)
		http_request_reap(req);
	if (http->multi != NULL)
		curl_multi_cleanup(http->multi);
	/* Sockets of cached connections libcurl did not tell us about. */
	while ((s = LIST_FIRST(&http->socks)) != NULL) {
		LIST_REMOVE(s, entry);
		if (s->ev != NULL)
			event_free(s->ev);
		free(s);
	}
	if (http->timer != NULL)
		event_free(http->timer);
	free(http);
}

void
http_free(struct http *http)
{
	struct http_request *req;

	if (http == NULL)
		return;
	if (http->depth > 0) {
		TAILQ_FOREACH(req, &http->requests, entry)
		req->cancelled = true;
		http->dead = true;
		return;
	}
	http_destroy(http);
}

static struct http_request *
http_request_new(struct http *http, const char *socket_path, const char *path,
    bool stream, size_t body_cap, long timeout_ms, http_data_cb data_cb,
    http_done_cb done_cb, void *arg)
{
	struct http_request *req;
	char *url;
	size_t ulen;
	CURL *e;

	if (http->dead)
		return NULL;
	req = calloc(1, sizeof *req);
	if (req == NULL)
		return NULL;
	req->http = http;
	req->stream = stream;
	req->cap = body_cap;
	req->data_cb = data_cb;
	req->done_cb = done_cb;
	req->arg = arg;

	ulen = strlen("http://localhost") + strlen(path) + 1;
	url = malloc(ulen);
	e = req->easy = curl_easy_init();
	if (url == NULL || e == NULL) {
		free(url);
		http_request_free(req);
		return NULL;
	}
	snprintf(url, ulen, "http://localhost%s", path);

	curl_easy_setopt(e, CURLOPT_URL, url);
	free(url); /* libcurl keeps its own copy */
	curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, socket_path);
	curl_easy_setopt(e, CURLOPT_PRIVATE, req);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_header_line);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, HTTP_CONNECT_TIMEOUT_MS);
	if (!stream && timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	/* Engines answer small requests; Expect/100 would only add delay. */
	curl_easy_setopt(e, CURLOPT_USERAGENT, "portlight/" PORTLIGHT_VERSION);

	TAILQ_INSERT_TAIL(&http->requests, req, entry);
	if (http->depth == 0) {
		if (curl_multi_add_handle(http->multi, e) != CURLM_OK) {
			TAILQ_REMOVE(&http->requests, req, entry);
			http_request_free(req);
			return NULL;
		}
		req->added = true;
	}
	/* else http_settle adds it when the current dispatch returns. */
	return req;
}

struct http_request *
http_get(struct http *http, const char *socket_path, const char *path,
    size_t body_cap, long timeout_ms, http_done_cb done_cb, void *arg)
{
	return http_request_new(http, socket_path, path, false, body_cap,
	    timeout_ms, NULL, done_cb, arg);
}

struct http_request *
http_stream(struct http *http, const char *socket_path, const char *path,
    http_data_cb data_cb, http_done_cb done_cb, void *arg)
{
	return http_request_new(
	    http, socket_path, path, true, 0, 0, data_cb, done_cb, arg);
}

void
http_request_set_headers_cb(struct http_request *req, http_headers_cb cb)
{
	req->headers_cb = cb;
}

const char *
http_request_header(struct http_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++) {
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	}
	return NULL;
}

const char *
http_request_error(struct http_request *req)
{
	return req->errbuf;
}

void
http_cancel(struct http_request *req)
{
	struct http *http;

	if (req == NULL || req->cancelled)
		return;
	http = req->http;
	req->cancelled = true;
	if (http->depth == 0 && !req->finished)
		http_request_reap(req);
	/* Otherwise http_settle reaps it at the top. */
}

/*
 * http: HTTP/1.1 GET requests over unix sockets with libcurl's multi
 * interface, driven by the agent's one libevent event_base (the pattern of
 * curl's hiperfifo example: CURLMOPT_SOCKETFUNCTION/TIMERFUNCTION).
 *
 * Two kinds of request: a buffered one (the whole body, with a cap, handed
 * over when it completes) and a stream (each slice handed over as it
 * arrives, no overall timeout; its end, even a clean one, is reported).
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

struct event_base;
struct http;
struct http_request;

/*
 * Called once when a request ends.  result is 0 when an HTTP response was
 * received (status holds its code, maybe 404 or 500), or a negative errno:
 * -ECONNREFUSED/-ENOENT (nothing listens at the socket), -EACCES (the
 * socket is not ours to use), -ETIMEDOUT,
 * -EMSGSIZE (body or headers over their cap), -ECANCELED (a data or
 * headers callback asked to stop), -EIO (anything else; see
 * http_request_error()).  For a buffered request body/len are the whole
 * body (NUL-terminated); for a stream they are NULL/0.  The request is
 * freed by http after the callback returns.
 */
typedef void (*http_done_cb)(struct http_request *req, int result, long status,
    const char *body, size_t len, void *arg);
/* A slice of a stream's body.  Return 0 to go on, non-zero to abort it. */
typedef int (*http_data_cb)(
    struct http_request *req, const char *buf, size_t len, void *arg);

/*
 * The final response's status line and headers have all arrived (for a
 * stream: it is established).  Return 0 to go on, non-zero to abort.
 */
typedef int (*http_headers_cb)(
    struct http_request *req, long status, void *arg);

struct http *http_new(struct event_base *base);
/* Cancels every request still running (no callbacks) and frees. */
void http_free(struct http *http);

/*
 * GET path (e.g. "/v1.41/containers/json") over the unix socket at
 * socket_path.  timeout_ms bounds the whole request.  Returns the request
 * or NULL (-ENOMEM).  Never calls done_cb before returning.
 */
struct http_request *http_get(struct http *http, const char *socket_path,
    const char *path, size_t body_cap, long timeout_ms, http_done_cb done_cb,
    void *arg);
/* GET path as a stream: data_cb per slice, done_cb at its end. */
struct http_request *http_stream(struct http *http, const char *socket_path,
    const char *path, http_data_cb data_cb, http_done_cb done_cb, void *arg);

/*
 * Adds a headers callback to a request just made (before the event loop
 * runs again); http_request_header() works inside it.
 */
void http_request_set_headers_cb(struct http_request *req, http_headers_cb cb);

/*
 * A response header's value (name is case-insensitive), or NULL.  Valid
 * in data_cb and done_cb.
 */
const char *http_request_header(struct http_request *req, const char *name);
/* What went wrong, for logs (curl's error text); "" when nothing did. */
const char *http_request_error(struct http_request *req);
/*
 * Ends a request; its done_cb is not called.  Safe from inside any of its
 * own callbacks and from other requests' callbacks.  Inside a done_cb,
 * cancelling the request being reported does nothing.
 */
void http_cancel(struct http_request *req);

#endif

/*
 * detect: the candidate engine sockets, from tables of inputs (the pure
 * half, with a fake file system behind its callbacks), then once through
 * the real I/O half in a scratch folder with real sockets and symlinks.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "detect.h"
#include "sha256.h"
#include "fixture.h"

/* ------------------------------------------------------------ sha256 */

static void
test_sha256_vectors(void **state)
{
	static const struct {
		char c;
		size_t len;
		const char *hex;
	} rep[] = {
	    {'a', 55,
		"9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f7343"
		"18"},
	    {'a', 63,
		"7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f"
		"34"},
	    {'a', 64,
		"ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668"
		"eb"},
	    {'a', 65,
		"635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0a"
		"e0"},
	    {'a', 119,
		"31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dc"
		"fb"},
	    {'a', 200,
		"c2a908d98f5df987ade41b5fce213067efbcc21ef2240212a41e54b5e7c28a"
		"e5"},
	};
	static const struct {
		const char *text;
		const char *hex;
	} vec[] = {
	    {"",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8"
		"55"},
	    {"abc",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015"
		"ad"},
	    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06"
		"c1"},
	    /* The folder `docker context create plctx` made here. */
	    {"plctx",
		"36d593dbe1bfa2b814c5a7450e5fa74d8eb77b62034106b9fffbceb2148ec9"
		"e3"},
	};
	char hex[SHA256_HEX_LEN + 1], buf[256];
	size_t i;

	for (i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		sha256_hex(vec[i].text, strlen(vec[i].text), hex);
		assert_string_equal(hex, vec[i].hex);
	}
	for (i = 0; i < sizeof rep / sizeof rep[0]; i++) {
		memset(buf, rep[i].c, rep[i].len);
		sha256_hex(buf, rep[i].len, hex);
		assert_string_equal(hex, rep[i].hex);
	}
}

/* ------------------------------------------------- a fake file system */

struct fake_file {
	const char *path;
	const char *text;
};

/* A socket that exists: path resolves to real. */
struct fake_sock {
	const char *path;
	const char *real;
};

struct fake_fs {
	const struct fake_file *files;
	const struct fake_sock *socks;
};

static int
fake_read(const char *path, char **text, void *arg)
{
	const struct fake_fs *fs = arg;
	const struct fake_file *f;

	for (f = fs->files; f != NULL && f->path != NULL; f++) {
		if (strcmp(f->path, path) != 0)
			continue;
		if (f->text == NULL)
			return -EACCES;
		*text = strdup(f->text);
		return *text == NULL ? -ENOMEM : 0;
	}
	return -ENOENT;
}

static int
fake_resolve(const char *path, char **real, void *arg)
{
	const struct fake_fs *fs = arg;
	const struct fake_sock *s;

	for (s = fs->socks; s != NULL && s->path != NULL; s++) {
		if (strcmp(s->path, path) == 0) {
			*real = strdup(s->real != NULL ? s->real : s->path);
			return *real == NULL ? -ENOMEM : 0;
		}
	}
	return -ENOENT;
}

#define HOME_DOCKER "/home/u/.docker"

static char *
meta_path(const char *name)
{
	char hex[SHA256_HEX_LEN + 1], *p;

	sha256_hex(name, strlen(name), hex);
	if (asprintf(&p, HOME_DOCKER "/contexts/meta/%s/meta.json", hex) == -1)
		return NULL;
	return p;
}

/*
 * The contexts every case can see: "ci" and "old" on unix sockets,
 * "remote" over ssh, "broken" without an endpoint.
 */
static struct fake_file *
fake_contexts(const char *config)
{
	static struct fake_file files[8];
	static char *paths[5];
	static const char *names[] = {"ci", "old", "remote", "broken"};
	static const char *texts[] = {
	    "{\"Name\":\"ci\",\"Metadata\":{},\"Endpoints\":{\"docker\":"
	    "{\"Host\":\"unix:///srv/ci/docker.sock\","
	    "\"SkipTLSVerify\":false}}}",
	    "{\"Name\":\"old\",\"Endpoints\":{\"docker\":"
	    "{\"Host\":\"unix:///srv/old.sock\"}}}",
	    "{\"Name\":\"remote\",\"Endpoints\":{\"docker\":"
	    "{\"Host\":\"ssh://me@far\"}}}",
	    "{\"Name\":\"broken\",\"Endpoints\":{}}",
	};
	size_t i, n = 0;

	for (i = 0; i < 4; i++) {
		free(paths[i]);
		paths[i] = meta_path(names[i]);
		files[n].path = paths[i];
		files[n++].text = texts[i];
	}
	if (config != NULL) {
		files[n].path = HOME_DOCKER "/config.json";
		files[n++].text = config;
	}
	files[n].path = NULL;
	return files;
}

/* ------------------------------------------------------------- cases */

struct detect_case {
	const char *name;
	const char *docker_host, *docker_context, *container_host, *xdg;
	const char *config; /* config.json text, or NULL for none */
	unsigned uid;
	const unsigned *users;
	size_t nusers;
	const struct fake_sock *socks;
	int error;
	const char *err_has[3]; /* substrings the error must contain */
	/* "source path" per expected candidate, in order. */
	const char *want[12];
	const char *note_has; /* a substring of the only note, or NULL */
};

static const unsigned users_3[] = {1001, 1000, 1000};
static const unsigned users_root[] = {0, 1000};

static const struct fake_sock socks_podman_docker[] = {
    /* podman-docker: /var/run/docker.sock -> /run/podman/podman.sock */
    {"/var/run/docker.sock", "/run/podman/podman.sock"},
    {"/run/podman/podman.sock", NULL},
    {NULL, NULL},
};

static const struct fake_sock socks_var_run[] = {
    /* /var/run -> /run, and DOCKER_HOST names the other spelling. */
    {"/var/run/docker.sock", "/run/docker.sock"},
    {"/run/docker.sock", NULL},
    {NULL, NULL},
};

static const struct detect_case cases[] = {
    {
	.name = "user defaults",
	.xdg = "/run/user/1000",
	.uid = 1000,
	.want = {"docker-system /var/run/docker.sock",
	    "docker-rootless /run/user/1000/docker.sock",
	    "podman-system /run/podman/podman.sock",
	    "podman-rootless /run/user/1000/podman/podman.sock"},
    },
    {
	.name = "full order",
	.docker_host = "unix:///srv/dh.sock",
	.docker_context = "ci",
	.container_host = "unix:///srv/ch.sock",
	.xdg = "/run/user/1000",
	.uid = 1000,
	.want = {"DOCKER_HOST /srv/dh.sock",
	    "docker-context /srv/ci/docker.sock",
	    "docker-system /var/run/docker.sock",
	    "docker-rootless /run/user/1000/docker.sock",
	    "CONTAINER_HOST /srv/ch.sock",
	    "podman-system /run/podman/podman.sock",
	    "podman-rootless /run/user/1000/podman/podman.sock"},
    },
    {
	.name = "DOCKER_HOST tcp",
	.docker_host = "tcp://10.0.0.1:2375",
	.uid = 1000,
	.error = -EINVAL,
	.err_has = {"DOCKER_HOST", "tcp://10.0.0.1:2375", "unix://"},
    },
    {
	.name = "DOCKER_HOST ssh",
	.docker_host = "ssh://me@far",
	.uid = 0,
	.error = -EINVAL,
	.err_has = {"DOCKER_HOST", "ssh://"},
    },
    {
	.name = "DOCKER_HOST relative",
	.docker_host = "unix://docker.sock",
	.uid = 0,
	.error = -EINVAL,
	.err_has = {"DOCKER_HOST", "absolute"},
    },
    {
	.name = "CONTAINER_HOST ssh",
	.container_host = "ssh://core@vm:22/run/podman/podman.sock",
	.uid = 1000,
	.error = -EINVAL,
	.err_has = {"CONTAINER_HOST", "ssh://"},
    },
    {
	.name = "bare path in DOCKER_HOST",
	.docker_host = "/srv/dh.sock",
	.uid = 0,
	.want = {"DOCKER_HOST /srv/dh.sock",
	    "docker-system /var/run/docker.sock",
	    "podman-system /run/podman/podman.sock"},
    },
    {
	.name = "same path twice",
	.docker_host = "unix:///var/run/docker.sock",
	.container_host = "unix:///run/podman//podman.sock",
	.uid = 0,
	.want = {"DOCKER_HOST /var/run/docker.sock",
	    "CONTAINER_HOST /run/podman/podman.sock"},
    },
    {
	.name = "symlinked path (podman-docker)",
	.uid = 0,
	.socks = socks_podman_docker,
	.want = {"docker-system /var/run/docker.sock"},
	/* and nothing else: podman.sock is the same socket */
    },
    {
	.name = "symlinked folder (/var/run -> /run)",
	.docker_host = "unix:///run/docker.sock",
	.uid = 0,
	.socks = socks_var_run,
	.want = {"DOCKER_HOST /run/docker.sock",
	    "podman-system /run/podman/podman.sock"},
    },
    {
	.name = "DOCKER_CONTEXT beats currentContext",
	.docker_context = "ci",
	.config = "{\"auths\":{},\"currentContext\":\"old\"}",
	.uid = 0,
	.want = {"docker-context /srv/ci/docker.sock",
	    "docker-system /var/run/docker.sock",
	    "podman-system /run/podman/podman.sock"},
    },
    {
	.name = "currentContext",
	.config = "{\"auths\":{},\"currentContext\":\"old\"}",
	.uid = 0,
	.want = {"docker-context /srv/old.sock",
	    "docker-system /var/run/docker.sock",
	    "podman-system /run/podman/podman.sock"},
    },
    {
	.name = "currentContext default",
	.config = "{\"currentContext\":\"default\"}",
	.uid = 0,
	.want = {"docker-system /var/run/docker.sock",
	    "podman-system /run/podman/podman.sock"},
    },
    {
	.name = "DOCKER_CONTEXT default",
	.docker_context = "default",
	.config = "{\"currentContext\":\"old\"}",
	.uid = 0,
	.want = {"docker-system /var/run/docker.sock",
	    "podman-system /run/podman/podman.sock"},
    },
    {
	.name = "DOCKER_CONTEXT unknown",
	.docker_context = "nope",
	.uid = 0,
	.error = -EINVAL,
	.err_has = {"DOCKER_CONTEXT", "\"nope\"", "no such Docker context"},
    },
    {
	.name = "DOCKER_CONTEXT over ssh",
	.docker_context = "remote",
	.uid = 0,
	.error = -EINVAL,
	.err_has = {"DOCKER_CONTEXT", "\"remote\"", "ssh://"},
    },
    {
	.name = "DOCKER_CONTEXT without endpoint",
	.docker_context = "broken",
	.uid = 0,
	.error = -EINVAL,
	.err_has = {"DOCKER_CONTEXT", "Endpoints.docker.Host"},
    },
    {
	.name = "currentContext over ssh is only a note",
	.config = "{\"currentContext\":\"remote\"}",
	.uid = 0,
	.want = {"docker-system /var/run/docker.sock",
	    "podman-system /run/podman/podman.sock"},
	.note_has = "currentContext \"remote\"",
    },
    {
	.name = "currentContext unknown is only a note",
	.config = "{\"currentContext\":\"gone\"}",
	.uid = 0,
	.want = {"docker-system /var/run/docker.sock",
	    "podman-system /run/podman/podman.sock"},
	.note_has = "no such Docker context",
    },
    {
	.name = "config.json not JSON",
	.config = "{\"currentContext\": ",
	.uid = 0,
	.want = {"docker-system /var/run/docker.sock",
	    "podman-system /run/podman/podman.sock"},
	.note_has = "config.json: not a JSON object",
    },
    {
	.name = "root sees every user",
	.xdg = "/run/user/0/",
	.uid = 0,
	.users = users_3,
	.nusers = 3,
	.want = {"docker-system /var/run/docker.sock",
	    "docker-rootless /run/user/0/docker.sock",
	    "podman-system /run/podman/podman.sock",
	    "podman-rootless /run/user/0/podman/podman.sock",
	    "user-podman /run/user/1000/podman/podman.sock",
	    "user-docker /run/user/1000/docker.sock",
	    "user-podman /run/user/1001/podman/podman.sock",
	    "user-docker /run/user/1001/docker.sock"},
    },
    {
	.name = "root's own runtime folder once",
	.xdg = "/run/user/0",
	.uid = 0,
	.users = users_root,
	.nusers = 2,
	.want = {"docker-system /var/run/docker.sock",
	    "docker-rootless /run/user/0/docker.sock",
	    "podman-system /run/podman/podman.sock",
	    "podman-rootless /run/user/0/podman/podman.sock",
	    "user-podman /run/user/1000/podman/podman.sock",
	    "user-docker /run/user/1000/docker.sock"},
    },
    {
	.name = "a user does not see others",
	.xdg = "/run/user/1000",
	.uid = 1000,
	.users = users_3,
	.nusers = 3,
	.want = {"docker-system /var/run/docker.sock",
	    "docker-rootless /run/user/1000/docker.sock",
	    "podman-system /run/podman/podman.sock",
	    "podman-rootless /run/user/1000/podman/podman.sock"},
    },
    {
	.name = "missing XDG_RUNTIME_DIR, user",
	.uid = 1000,
	.want = {"docker-system /var/run/docker.sock",
	    "docker-rootless /run/user/1000/docker.sock",
	    "podman-system /run/podman/podman.sock",
	    "podman-rootless /run/user/1000/podman/podman.sock"},
    },
    {
	.name = "relative XDG_RUNTIME_DIR, user",
	.xdg = "run/user/1000",
	.uid = 1000,
	.want = {"docker-system /var/run/docker.sock",
	    "docker-rootless /run/user/1000/docker.sock",
	    "podman-system /run/podman/podman.sock",
	    "podman-rootless /run/user/1000/podman/podman.sock"},
    },
    {
	.name = "missing XDG_RUNTIME_DIR, root",
	.uid = 0,
	.want = {"docker-system /var/run/docker.sock",
	    "podman-system /run/podman/podman.sock"},
    },
};

static void
run_case(const struct detect_case *tc)
{
	struct detect_input in;
	struct detect_list l;
	struct fake_fs fs;
	char err[1024], got[PATH_MAX + 64];
	size_t i, nwant;
	int error;

	memset(&in, 0, sizeof in);
	in.docker_host = tc->docker_host;
	in.docker_context = tc->docker_context;
	in.container_host = tc->container_host;
	in.xdg_runtime_dir = tc->xdg;
	in.docker_config = HOME_DOCKER;
	in.uid = tc->uid;
	in.user_uids = tc->users;
	in.nuser_uids = tc->nusers;
	fs.files = fake_contexts(tc->config);
	fs.socks = tc->socks;
	in.read_file = fake_read;
	in.resolve = fake_resolve;
	in.arg = &fs;

	error = detect_candidates(&in, &l, err, sizeof err);
	if (error != tc->error)
		fail_msg("%s: returned %d (%s), want %d", tc->name, error, err,
		    tc->error);
	if (error != 0) {
		assert_int_equal(l.n, 0);
		for (i = 0; i < 3 && tc->err_has[i] != NULL; i++) {
			if (strstr(err, tc->err_has[i]) == NULL)
				fail_msg("%s: error \"%s\" lacks \"%s\"",
				    tc->name, err, tc->err_has[i]);
		}
		return;
	}
	for (nwant = 0; nwant < 12 && tc->want[nwant] != NULL; nwant++)
		;
	for (i = 0; i < l.n; i++) {
		snprintf(got, sizeof got, "%s %s",
		    detect_source_name(l.v[i].source), l.v[i].path);
		if (i >= nwant || strcmp(got, tc->want[i]) != 0)
			fail_msg("%s: candidate %zu is \"%s\", want \"%s\"",
			    tc->name, i, got,
			    i < nwant ? tc->want[i] : "(none)");
	}
	if (l.n != nwant)
		fail_msg("%s: %zu candidates, want %zu", tc->name, l.n, nwant);
	if (tc->note_has != NULL) {
		assert_int_equal(l.nnotes, 1);
		if (strstr(l.notes[0], tc->note_has) == NULL)
			fail_msg("%s: note \"%s\" lacks \"%s\"", tc->name,
			    l.notes[0], tc->note_has);
	} else if (l.nnotes != 0)
		fail_msg("%s: unexpected note \"%s\"", tc->name, l.notes[0]);
	detect_list_clear(&l);
}

static void
test_detect_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		run_case(&cases[i]);
}

static void
test_detect_details(void **state)
{
	static const unsigned users[] = {1000};
	struct detect_input in;
	struct detect_list l;
	struct fake_fs fs = {.files = NULL, .socks = socks_podman_docker};
	char err[256], buf[128];

	memset(&in, 0, sizeof in);
	in.docker_context = "ci";
	in.docker_config = HOME_DOCKER;
	in.sysroot = "/tmp/sandbox";
	in.uid = 0;
	in.user_uids = users;
	in.nuser_uids = 1;
	fs.files = fake_contexts(NULL);
	in.read_file = fake_read;
	in.resolve = fake_resolve;
	in.arg = &fs;
	assert_int_equal(detect_candidates(&in, &l, err, sizeof err), 0);

	/* sysroot moves the fixed paths only, never the ones named. */
	assert_int_equal(l.n, 5);
	assert_string_equal(l.v[0].path, "/srv/ci/docker.sock");
	assert_string_equal(l.v[0].context, "ci");
	assert_null(l.v[0].real);
	assert_string_equal(l.v[1].path, "/tmp/sandbox/var/run/docker.sock");
	assert_string_equal(l.v[2].path, "/tmp/sandbox/run/podman/podman.sock");
	assert_string_equal(
	    l.v[3].path, "/tmp/sandbox/run/user/1000/podman/podman.sock");
	assert_int_equal(l.v[3].uid, 1000);
	assert_int_equal(l.v[1].uid, DETECT_NO_UID);

	detect_describe(&l.v[0], buf, sizeof buf);
	assert_string_equal(buf, "docker context \"ci\"");
	detect_describe(&l.v[3], buf, sizeof buf);
	assert_string_equal(buf, "rootless podman of uid 1000");
	detect_describe(&l.v[4], buf, sizeof buf);
	assert_string_equal(buf, "rootless docker of uid 1000");

	assert_ptr_equal(detect_list_find(&l, "/srv/ci/docker.sock"), &l.v[0]);
	assert_null(detect_list_find(&l, "/srv/ci"));
	detect_list_clear(&l);
	detect_list_clear(&l); /* cleared twice is harmless */

	/* Without callbacks nothing resolves and no file is read. */
	in.read_file = NULL;
	in.resolve = NULL;
	in.docker_context = NULL;
	assert_int_equal(detect_candidates(&in, &l, err, sizeof err), 0);
	assert_int_equal(l.n, 4);
	detect_list_clear(&l);
}

/* ------------------------------------------- the real I/O half, once */

static char scratch[64];

static void
put(const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", scratch, rel);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
mkdirs(const char *rel)
{
	char path[PATH_MAX], *p;

	snprintf(path, sizeof path, "%s/%s", scratch, rel);
	for (p = path + strlen(scratch) + 1; *p != '\0'; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	mkdir(path, 0755);
}

static int
bind_at(const char *rel)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	assert_true((size_t)snprintf(sun.sun_path, sizeof sun.sun_path, "%s/%s",
			scratch, rel) < sizeof sun.sun_path);
	assert_true((fd = socket(AF_UNIX, SOCK_STREAM, 0)) != -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	return fd;
}

static void
test_detect_io(void **state)
{
	struct detect_list l;
	char err[1024], path[PATH_MAX], real[PATH_MAX], hex[65], meta[256];
	char *root;
	const struct detect_candidate *c;
	int fd1, fd2;

	strcpy(scratch, "/tmp/test_detect.XXXXXX");
	assert_non_null(mkdtemp(scratch));
	assert_non_null(root = realpath(scratch, NULL));

	/* Debian's layout: /var/run -> /run. */
	mkdirs("var");
	mkdirs("run/podman");
	mkdirs("run/user/4242");
	mkdirs("xdg/podman");
	mkdirs("dc");
	snprintf(path, sizeof path, "%s/var/run", scratch);
	assert_int_equal(symlink("../run", path), 0);
	fd1 = bind_at("run/docker.sock");
	/* podman-docker style: a second name for one socket. */
	snprintf(path, sizeof path, "%s/run/podman/podman.sock", scratch);
	assert_int_equal(symlink("../docker.sock", path), 0);
	fd2 = bind_at("xdg/podman/podman.sock");
	put("run/user/notauser", "");

	/* A context, through the real files and the real hash. */
	sha256_hex("io", 2, hex);
	snprintf(meta, sizeof meta, "dc/contexts/meta/%s", hex);
	mkdirs(meta);
	strcat(meta, "/meta.json");
	snprintf(path, sizeof path,
	    "{\"Name\":\"io\",\"Endpoints\":{\"docker\":"
	    "{\"Host\":\"unix://%s/run/docker.sock\"}}}",
	    scratch);
	put(meta, path);
	put("dc/config.json", "{\"currentContext\":\"io\"}");

	unsetenv("DOCKER_HOST");
	unsetenv("DOCKER_CONTEXT");
	unsetenv("CONTAINER_HOST");
	snprintf(path, sizeof path, "%s/xdg", scratch);
	setenv("XDG_RUNTIME_DIR", path, 1);
	snprintf(path, sizeof path, "%s/dc", scratch);
	setenv("DOCKER_CONFIG", path, 1);

	assert_int_equal(detect_run(scratch, &l, err, sizeof err), 0);
	assert_int_equal(l.nnotes, 0);
	snprintf(real, sizeof real, "%s/run/docker.sock", root);

	/* The context's path comes first; the others are the same socket. */
	assert_int_equal(l.v[0].source, DETECT_DOCKER_CONTEXT);
	assert_string_equal(l.v[0].real, real);
	snprintf(path, sizeof path, "%s/var/run/docker.sock", scratch);
	assert_null(detect_list_find(&l, path));
	snprintf(path, sizeof path, "%s/run/podman/podman.sock", scratch);
	assert_null(detect_list_find(&l, path));
	/* ... listed as aliases, whose folders the watcher watches too. */
	assert_int_equal(l.naliases, 2);
	snprintf(path, sizeof path, "%s/var/run/docker.sock", scratch);
	assert_string_equal(l.aliases[0], path);
	snprintf(path, sizeof path, "%s/run/podman/podman.sock", scratch);
	assert_string_equal(l.aliases[1], path);

	/* The rootless socket is there; docker's rootless one is not. */
	snprintf(path, sizeof path, "%s/xdg/podman/podman.sock", scratch);
	assert_non_null(c = detect_list_find(&l, path));
	assert_int_equal(c->source, DETECT_PODMAN_ROOTLESS);
	assert_non_null(c->real);
	snprintf(path, sizeof path, "%s/xdg/docker.sock", scratch);
	assert_non_null(c = detect_list_find(&l, path));
	assert_null(c->real);

	/* As root, uid 4242's folder is seen; "notauser" is not a uid. */
	snprintf(
	    path, sizeof path, "%s/run/user/4242/podman/podman.sock", scratch);
	if (geteuid() == 0)
		assert_non_null(detect_list_find(&l, path));
	else
		assert_null(detect_list_find(&l, path));
	detect_list_clear(&l);

	/* DOCKER_HOST=tcp:// through the real environment. */
	setenv("DOCKER_HOST", "tcp://127.0.0.1:2375", 1);
	assert_int_equal(detect_run(scratch, &l, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "DOCKER_HOST"));
	unsetenv("DOCKER_HOST");

	close(fd1);
	close(fd2);
	assert_int_equal(fixture_remove_tree(scratch), 0);
	free(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256_vectors),
	    cmocka_unit_test(test_detect_table),
	    cmocka_unit_test(test_detect_details),
	    cmocka_unit_test(test_detect_io),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

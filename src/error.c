/* Error codes, messages and agreement. Every failure is a negative PA_E*
 * code plus a message kept in the context; a collective call whose outcome
 * may differ between ranks ends with pa__agree so that all ranks return the
 * same code and message. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "profile.h"

/* Message of the last failed pa_init/pa_init_comm/pa_finalize, which have
 * no context to keep it in. */
static char init_errmsg[PA_ERRMSG_MAX];

const char *pa_strerror(int code)
{
    switch (code) {
#define PA_ERRNO_TEXT(name, value, text)                                                         \
    case PA_##name: return text;
        PA_ERRNO_MAP(PA_ERRNO_TEXT)
#undef PA_ERRNO_TEXT
    }
    return "unknown error";
}

const char *pa_errname(int code)
{
    switch (code) {
#define PA_ERRNO_NAME(name, value, text)                                                         \
    case PA_##name: return "PA_" #name;
        PA_ERRNO_MAP(PA_ERRNO_NAME)
#undef PA_ERRNO_NAME
    }
    return "PA_EUNKNOWN";
}

char *pa__init_errmsg(void)
{
    return init_errmsg;
}

const char *pa_errmsg(const pa_ctx *ctx)
{
    return ctx ? ctx->errmsg : init_errmsg;
}

int pa__err(pa_ctx *ctx, const char *fn, int code, const char *fmt, ...)
{
    char *buf = ctx ? ctx->errmsg : init_errmsg;
    int n = snprintf(buf, PA_ERRMSG_MAX, "%s: ", fn);
    if (n < 0 || n >= PA_ERRMSG_MAX)
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, PA_ERRMSG_MAX - (size_t)n, fmt, ap);
    va_end(ap);
    return code;
}

int pa__mpi(pa_ctx *ctx, const char *fn, int mpi_rc, const char *what)
{
    if (mpi_rc == MPI_SUCCESS)
        return PA_OK;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(mpi_rc, text, &len) != MPI_SUCCESS)
        snprintf(text, sizeof text, "MPI error %d", mpi_rc);
    return pa__err(ctx, fn, PA_EMPI, "%s: %s", what, text);
}

int pa__agree(pa_ctx *ctx, MPI_Comm comm, int rc)
{
    int rank;
    int mpi_rc = MPI_Comm_rank(comm, &rank);
    if (mpi_rc != MPI_SUCCESS)
        return pa__mpi(ctx, __func__, mpi_rc, "MPI_Comm_rank");
    /* MINLOC picks the lowest code and, among ranks with that code, the
     * lowest rank: the one whose message everybody reports. */
    struct {
        int code, rank;
    } mine = {rc < 0 ? rc : PA_OK, rank}, worst = mine;
    /* Alone (MPI_COMM_SELF: a file one rank writes) there is nothing to
     * agree on or send. */
    int size;
    mpi_rc = MPI_Comm_size(comm, &size);
    if (mpi_rc != MPI_SUCCESS)
        return pa__mpi(ctx, __func__, mpi_rc, "MPI_Comm_size");
    if (size > 1 && (mpi_rc = PA_PROFILE_WAIT(ctx, PA__WAIT_AGREE,
                                              MPI_Allreduce(&mine, &worst, 1, MPI_2INT,
                                                            MPI_MINLOC, comm))) != MPI_SUCCESS)
        return pa__mpi(ctx, __func__, mpi_rc, "MPI_Allreduce");
    if (worst.code == PA_OK)
        return PA_OK;
    char *msg = ctx ? ctx->errmsg : init_errmsg;
    if (rank == worst.rank && msg[0] == '\0')
        snprintf(msg, PA_ERRMSG_MAX, "%s", pa_strerror(worst.code));
    if (size == 1)
        return worst.code;
    mpi_rc = MPI_Bcast(msg, PA_ERRMSG_MAX, MPI_CHAR, worst.rank, comm);
    if (mpi_rc != MPI_SUCCESS)
        return pa__mpi(ctx, __func__, mpi_rc, "MPI_Bcast");
    msg[PA_ERRMSG_MAX - 1] = '\0';
    return worst.code;
}

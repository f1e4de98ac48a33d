// pyneuro/team.h: pyneuro's own team of worker threads, which never waits for a sleeping one.
// csrc/cpu/team.cpp has the why; parallel_chunks (common.h) is its one user in the kernels.
#pragma once

namespace pyneuro {

// Runs body(ctx, member) as member 0 on the calling thread and, as members 1..size-1, on
// the team's workers that are awake to take it; returns once every member that started has
// finished. A member nobody took is never run, so body must finish the whole job even when
// it runs as member 0 alone (parallel_chunks' members take each other's chunks). Inside a
// body (nested), while another thread's job holds the team, or with size <= 1, only member
// 0 runs, on the calling thread.
void run_team(int size, void (*body)(void* ctx, int member), void* ctx);

// The member index of the calling thread inside run_team's body (0 elsewhere): which of a
// kernel's per-thread scratch buffers is this thread's.
int team_member();

// The CPUs this process may run on (the calling thread's affinity mask on Linux, else the
// hardware threads): the default thread count of a build without OpenMP.
int usable_cpus();

// Whether the calling thread is running a team body (or an OpenMP parallel region): a
// kernel called from inside one runs on its thread alone.
bool in_parallel_region();

}  // namespace pyneuro

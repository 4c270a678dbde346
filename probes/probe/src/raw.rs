//! Entering the kernel with the bare syscall instruction of each ABI.
//!
//! libc wrappers are avoided for the cases because they emulate, retry or translate calls (glibc
//! turns `fork` into `clone`, retries on EINTR, maps flags), and the probe must show what the
//! filter sees for exactly the number and arguments in the catalog.

#[cfg(target_arch = "x86_64")]
use std::arch::asm;

#[cfg(target_arch = "aarch64")]
use std::arch::asm;

/// The raw return register, sign-extended to 64 bits.
pub type Ret = i64;

/// Returns the errno of a raw return value, if it is one (-4095..=-1, as the kernel encodes it).
pub fn errno_of(ret: Ret) -> Option<i32> {
    if (-4095..0).contains(&ret) {
        Some(-ret as i32)
    } else {
        None
    }
}

/// A native call through `syscall` (x86_64, also x32 with bit 30 set in `nr`).
///
/// # Safety
/// The call may do anything the kernel allows with these arguments.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub unsafe fn native(nr: u64, a: [u64; 6]) -> Ret {
    let ret: i64;
    asm!(
        "syscall",
        inlateout("rax") nr as i64 => ret,
        in("rdi") a[0], in("rsi") a[1], in("rdx") a[2],
        in("r10") a[3], in("r8") a[4], in("r9") a[5],
        lateout("rcx") _, lateout("r11") _,
        options(nostack),
    );
    ret
}

/// A native call that may create a process (fork, vfork, clone, clone3): in the new process
/// (return value 0) the same instruction sequence calls exit before any probe code or stack
/// access runs, so a vfork child never touches the shared memory and a clone with CLONE_VM or a
/// bogus stack cannot run anything.
///
/// # Safety
/// As for [`native`].
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub unsafe fn native_spawning(nr: u64, a: [u64; 6]) -> Ret {
    let ret: i64;
    asm!(
        "syscall",
        "test rax, rax",
        "jnz 2f",
        // The new process: exit(0), else exit_group(0), else fault.
        "mov eax, 60",
        "xor edi, edi",
        "syscall",
        "mov eax, 231",
        "xor edi, edi",
        "syscall",
        "ud2",
        "2:",
        inlateout("rax") nr as i64 => ret,
        inout("rdi") a[0] => _, in("rsi") a[1], in("rdx") a[2],
        in("r10") a[3], in("r8") a[4], in("r9") a[5],
        lateout("rcx") _, lateout("r11") _,
        options(nostack),
    );
    ret
}

/// `rt_sigreturn` with the stack pointer on a zeroed frame, put back right after the call. With
/// the child's own stack the kernel restored whatever the stack held: Linux then always faulted
/// on that garbage (SIGSEGV), but gVisor (runsc 0.0~20240729, sid's -7+b1) killed the child with
/// SIGTRAP in some runs and SIGSEGV in others, a cell that changed with nothing but the stack's
/// contents (SIGTRAP is the trap flag, bit 8 of the frame's saved flags, which garbage sets or
/// not). A zeroed frame has no trap flag, a null instruction pointer and a null code segment, so
/// every kernel and gVisor end the child with SIGSEGV. A filter that denies or traps the call
/// returns here: a trap's handler frame goes below the zeroed one, on free stack as for any other
/// signal, and the stack pointer is restored before anything else.
///
/// # Safety
/// As for [`native`]; the call ends the calling process when the filter lets it through.
#[cfg(target_arch = "x86_64")]
#[inline(never)]
pub unsafe fn sigreturn_zeroed_frame(nr: u64, a: [u64; 6]) -> Ret {
    // x86_64's `rt_sigframe` (return address, ucontext, siginfo) is under 1 KiB and the kernel
    // reads it from 8 bytes below the stack pointer: 4 KiB of zeros hold all of it.
    let frame = [0u64; 512];
    let top = frame.as_ptr().add(1);
    let ret: i64;
    asm!(
        "mov {saved}, rsp",
        "mov rsp, {top}",
        "syscall",
        "mov rsp, {saved}",
        top = in(reg) top,
        saved = out(reg) _,
        inlateout("rax") nr as i64 => ret,
        in("rdi") a[0], in("rsi") a[1], in("rdx") a[2],
        in("r10") a[3], in("r8") a[4], in("r9") a[5],
        lateout("rcx") _, lateout("r11") _,
    );
    std::hint::black_box(&frame);
    ret
}

/// An i386 call through `int 0x80`: the kernel takes ebx, ecx, edx, esi, edi, ebp and returns
/// eax. rbx and rbp are reserved by LLVM, so they are saved on the stack around the call (no
/// `nostack`, so the compiler keeps the red zone clear).
///
/// # Safety
/// As for [`native`]. Pointers must lie below 4 GiB to mean anything to the kernel.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub unsafe fn int80(nr: u32, a: [u32; 6]) -> Ret {
    let ret: u32;
    asm!(
        "push rbp",
        "push rbx",
        "mov ebx, {a0:e}",
        "mov ebp, {a5:e}",
        "int 0x80",
        "pop rbx",
        "pop rbp",
        a0 = in(reg) a[0],
        a5 = in(reg) a[5],
        inlateout("eax") nr => ret,
        in("ecx") a[1], in("edx") a[2], in("esi") a[3], in("edi") a[4],
    );
    ret as i32 as i64
}

/// # Safety
/// The call may do anything the kernel allows with these arguments.
#[cfg(target_arch = "aarch64")]
#[inline(always)]
pub unsafe fn native(nr: u64, a: [u64; 6]) -> Ret {
    let ret: i64;
    asm!(
        "svc 0",
        in("x8") nr,
        inlateout("x0") a[0] as i64 => ret,
        in("x1") a[1], in("x2") a[2], in("x3") a[3], in("x4") a[4], in("x5") a[5],
        options(nostack),
    );
    ret
}

/// See the x86_64 version: the new process exits before running any probe code.
///
/// # Safety
/// As for [`native`].
#[cfg(target_arch = "aarch64")]
#[inline(always)]
pub unsafe fn native_spawning(nr: u64, a: [u64; 6]) -> Ret {
    let ret: i64;
    asm!(
        "svc 0",
        "cbnz x0, 2f",
        // The new process: exit(0) (93), else exit_group(0) (94), else fault.
        "mov x8, #93",
        "mov x0, #0",
        "svc 0",
        "mov x8, #94",
        "mov x0, #0",
        "svc 0",
        "udf #0",
        "2:",
        inout("x8") nr => _,
        inlateout("x0") a[0] as i64 => ret,
        in("x1") a[1], in("x2") a[2], in("x3") a[3], in("x4") a[4], in("x5") a[5],
        options(nostack),
    );
    ret
}

/// `rt_sigreturn` with the stack pointer 8 bytes off its 16-byte alignment, put back right
/// after the call. arm64's `sys_rt_sigreturn` refuses such a frame before reading it
/// (`if (regs->sp & 15) goto badframe` in arch/arm64/kernel/signal.c: SIGSEGV), so the child
/// always dies the same way. With an aligned stack it restored whatever the child's stack held
/// and then faulted on that garbage: SIGBUS unconfined but SIGSEGV under a filter on the
/// emulated 7.2 kernel, a cell that changed with nothing but the stack's contents. A filter
/// that denies or traps the call returns here (a trap's handler frame is aligned by the
/// kernel), and no instruction touches memory through the misaligned stack pointer.
///
/// # Safety
/// As for [`native`]; the call ends the calling process when the filter lets it through.
#[cfg(target_arch = "aarch64")]
#[inline(always)]
pub unsafe fn sigreturn_misaligned(nr: u64, a: [u64; 6]) -> Ret {
    let ret: i64;
    asm!(
        "sub sp, sp, #8",
        "svc 0",
        "add sp, sp, #8",
        in("x8") nr,
        inlateout("x0") a[0] as i64 => ret,
        in("x1") a[1], in("x2") a[2], in("x3") a[3], in("x4") a[4], in("x5") a[5],
    );
    ret
}

/// A call the probe makes for its own machinery (fork, wait, poll, signals), as
/// `Result<value, errno>`. A SIGSYS trap during the call counts as a failure with ENOSYS: the
/// register then holds the syscall number, not a result.
pub fn sys(nr: libc::c_long, a: [u64; 6]) -> Result<u64, i32> {
    crate::signals::clear_trap();
    // SAFETY: callers pass only calls with valid arguments for the probe's own bookkeeping.
    let ret = unsafe { native(nr as u64, a) };
    if crate::signals::take_trap().is_some() {
        return Err(libc::ENOSYS);
    }
    match errno_of(ret) {
        Some(e) => Err(e),
        None => Ok(ret as u64),
    }
}

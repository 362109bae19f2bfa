"""Which kernel OpenBLAS runs, and a fair one where it does not know the CPU.

OpenBLAS picks its kernel from the CPU's family and model when it is loaded, unless
OPENBLAS_CORETYPE names one. A CPU newer than the OpenBLAS release is not in its table:
OpenBLAS 0.3.21 (Debian's, under PyTorch 1.13) takes an Intel Xeon of family 6, model 207 for a
Prescott and runs its SSE3 kernels there, at a fifth of what its AVX-512 kernels do on the same
cores. Comparing Kobai with that would flatter Kobai, so the benchmarks restart themselves with
the kernel this CPU's extensions allow (Cooperlake with AVX-512 BF16, SkylakeX with AVX-512,
Haswell with AVX2) and say so.
"""
import ctypes
import os
import re
import sys

GENERIC = {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Katmai", "Coppermine", "Northwood",
           "Banias", "Atom", "Barcelona", "unknown"}


def core():
    """The kernel the OpenBLAS loaded in this process uses, e.g. "Haswell" or "SkylakeX"."""
    try:
        maps = open("/proc/self/maps").read()
        for lib in sorted(set(re.findall(r"/\S*openblas\S*\.so\S*", maps))):
            try:
                f = ctypes.CDLL(lib).openblas_get_corename
                f.restype = ctypes.c_char_p
                return f().decode()
            except (OSError, AttributeError):
                continue
    except OSError:
        pass
    return "unknown"


def _first_processor():
    """The fields of the first processor in /proc/cpuinfo ({} where there is none)."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    if fields:
                        break
                    continue
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return fields


def cpu_flags():
    fields = _first_processor()
    return set(fields.get("flags", fields.get("Features", "")).split())


def cpu_description():
    """The first processor's model name (family, model) and the vector extensions that decide kernels."""
    fields = _first_processor()
    flags = cpu_flags()
    wanted = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "amx_tile", "asimd", "sve"]
    name = fields.get("model name", "unknown CPU")
    if "cpu family" in fields and "model" in fields:
        name += f" (family {fields['cpu family']}, model {fields['model']})"
    return name + "; " + (" ".join(f for f in wanted if f in flags) or "no AVX2")


def best_for_cpu(flags):
    if "avx512f" in flags:
        return "Cooperlake" if "avx512_bf16" in flags else "SkylakeX"
    if "avx2" in flags:
        return "Haswell"
    return None


def restart_if_generic():
    """Call after importing torch: restarts this script with a fitting OPENBLAS_CORETYPE when
    OpenBLAS chose a generic kernel by itself. Returns a sentence for the report, or ""."""
    if os.environ.get("KOBAI_OPENBLAS_FALLBACK"):
        return (f"OpenBLAS took this CPU for a {os.environ['KOBAI_OPENBLAS_FALLBACK']} (a CPU newer than its "
                f"table); OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')} set to the kernel its "
                "extensions allow")
    if os.environ.get("OPENBLAS_CORETYPE"):
        return ""
    chosen = core()
    better = best_for_cpu(cpu_flags())
    if chosen in GENERIC and better:
        env = dict(os.environ, OPENBLAS_CORETYPE=better, KOBAI_OPENBLAS_FALLBACK=chosen)
        sys.stdout.flush()
        os.execve(sys.executable, [sys.executable] + sys.argv, env)
    return ""

# JupyterHub for a class working through the Backprop Workbook (see README.md beside this file).
#
#   jupyterhub -f deploy/jupyterhub/jupyterhub_config.py
#
# run from the environment that has the workbook installed (pip install -e '.[workbook,instructor]'
# in a clone of the repository). Every single-user server runs with that environment's Python,
# so every student has backprop_core, and starts through start-singleuser.sh, which gives each
# student their own copy of the notebooks in ~/workbook on first login.
#
# Settings read from the environment, with their defaults:
#   BP_HUB_IP        127.0.0.1   the address the proxy listens on (0.0.0.0 behind a firewall/TLS)
#   BP_HUB_PORT      8000
#   BP_STUDENTS      students.txt beside this file: one username per line; '#' starts a comment
#   BP_ADMINS        instructors' usernames, separated by commas
#   BP_MEM_LIMIT     1G          memory per student (enforced by the spawners named below)
#   BP_CPU_LIMIT     1           CPUs per student (idem)
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[1]
c = get_config()  # noqa: F821 (JupyterHub provides it)

c.JupyterHub.ip = os.environ.get("BP_HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(os.environ.get("BP_HUB_PORT", "8000"))
# configurable-http-proxy from npm, installed into build/node by `make hub-proxy`
proxy = REPOSITORY / "build" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"
if proxy.exists():
    c.ConfigurableHTTPProxy.command = [str(proxy)]

# Who may log in. The default authenticator, PAM, checks the machine's own users and passwords;
# for a real class use an OAuthenticator (GitHub, Google, your university's OpenID Connect) or
# LTI from your learning-management system, as README.md explains. Either way, only the roster
# below and the admins may log in.
roster = Path(os.environ.get("BP_STUDENTS", HERE / "students.txt"))
if roster.exists():
    names = (line.split("#")[0].strip() for line in roster.read_text().splitlines())
    c.Authenticator.allowed_users = {name for name in names if name}
c.Authenticator.admin_users = {
    name.strip() for name in os.environ.get("BP_ADMINS", "").split(",") if name.strip()
}

# Each student's server: this environment's Python, their own copy of the workbook, JupyterLab.
c.Spawner.cmd = [str(HERE / "start-singleuser.sh")]
c.Spawner.environment = {
    "BP_PYTHON": sys.executable,
    "BP_WORKBOOK": str(REPOSITORY / "workbook"),
    # nbgrader is installed for the instructor; its instructor tools (formgrader, the course list,
    # the create-assignment toolbar) are switched off in every student's server by this folder,
    # which Jupyter reads before the environment's own configuration
    "JUPYTER_CONFIG_PATH": str(HERE / "student-config"),
}
# JupyterLab's defaults for students (student-settings/overrides.json): no "Jupyter news?" question
# and no update check on their first visit; a student can still change both in the settings
c.Spawner.args = [f"--LabApp.app_settings_dir={HERE / 'student-settings'}"]
c.Spawner.default_url = "/lab/tree/workbook/00-Start-Here.ipynb"
c.Spawner.notebook_dir = "~"
c.Spawner.http_timeout = 60  # the first start imports NumPy, SymPy and Matplotlib
c.Spawner.start_timeout = 120

# Resources per student. JupyterHub passes these to the spawner; DockerSpawner and SystemdSpawner
# enforce both (cgroups), KubeSpawner enforces both as the pod's limits. The default
# LocalProcessSpawner, and the SimpleLocalProcessSpawner of the local test, only report them to
# the server (MEM_LIMIT, CPU_LIMIT) and enforce neither.
c.Spawner.mem_limit = os.environ.get("BP_MEM_LIMIT", "1G")
c.Spawner.cpu_limit = float(os.environ.get("BP_CPU_LIMIT", "1"))
# As many BLAS threads as the student has CPUs, not one per core of the machine: many students'
# kernels each starting a thread per core would oversubscribe it. (On this project's loaded
# 2-core test machine, a float32 64 x 784 by 784 x 100 product took a median 0.095 ms with one
# OpenBLAS thread and 0.098-0.123 ms with two.)
threads = str(max(1, int(c.Spawner.cpu_limit)))
c.Spawner.environment.update(
    {name: threads for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
)

"""What the stack benchmarks share: complaint texts, percentiles, CPU and memory from /proc, worker processes
by role, the BENCH line, and the clean-up of a run's topics, consumer groups and indices."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from config.settings import Settings
from tests.support import Process, free_port, settings_env

REPO_ROOT = Path(__file__).resolve().parents[2]

# (category, description): realistic, varied Indonesian complaints, one jurisdiction category each. No names,
# telephone numbers or house numbers: nothing here is anybody's personal data. Forty-four of them, so the
# stemmer's cache cannot hide its cost behind a handful of repeated texts.
COMPLAINTS: list[tuple[str, str]] = [
    ("jalan-jembatan", "Jalan di depan pasar berlubang besar dan tergenang air saat hujan, sudah dua motor jatuh."),
    ("jalan-jembatan", "Aspal jalan desa mengelupas sepanjang kurang lebih dua ratus meter, kendaraan harus "
                       "berjalan pelan dan debunya masuk ke rumah warga."),
    ("jalan-jembatan", "Jembatan gantung penghubung dua dusun talinya sudah berkarat dan papan lantainya banyak "
                       "yang patah, anak sekolah tetap melintas setiap pagi."),
    ("jalan-jembatan", "Gorong-gorong di bawah jalan provinsi ambles sehingga badan jalan retak memanjang, "
                       "truk bermuatan berat masih lewat malam hari."),
    ("sampah-kebersihan", "Sampah di TPS dekat rumah sudah seminggu tidak diangkut, bau menyengat dan banyak "
                          "lalat."),
    ("sampah-kebersihan", "Warga membuang sampah rumah tangga ke sungai karena tidak ada bak sampah di ujung gang, "
                          "airnya sekarang hitam dan berbusa."),
    ("sampah-kebersihan", "Petugas kebersihan hanya menyapu jalan utama, trotoar di sekitar terminal penuh "
                          "bungkus makanan dan botol plastik."),
    ("sampah-kebersihan", "Tumpukan sampah di pinggir jalan lintas dibakar setiap sore, asapnya masuk ke kelas "
                          "sekolah dasar di sebelahnya."),
    ("lingkungan", "Limbah cair dari pabrik tahu dialirkan langsung ke parit, sumur warga di sekitarnya berbau "
                   "asam."),
    ("lingkungan", "Penambangan pasir di tepi sungai membuat tebing longsor dan kebun warga ikut terkikis arus."),
    ("lingkungan", "Asap dari cerobong pabrik pengolahan sawit pekat setiap malam, banyak anak batuk dan sesak "
                   "napas."),
    ("lingkungan", "Pohon peneduh di sepanjang jalan protokol ditebang tanpa pemberitahuan, sekarang jalan itu "
                   "sangat panas di siang hari."),
    ("kesehatan", "Antrean di puskesmas sangat panjang, loket pendaftaran baru buka pukul sembilan padahal "
                  "pasien datang sejak subuh."),
    ("kesehatan", "Obat yang diresepkan dokter di puskesmas pembantu sering kosong, pasien diminta membeli "
                  "sendiri di apotek luar."),
    ("kesehatan", "Ambulans desa tidak bisa dipakai karena bannya rusak sejak bulan lalu, ibu hamil harus "
                  "dibawa dengan mobil bak terbuka."),
    ("kesehatan", "Posyandu di kelurahan kami tidak lagi mendapat makanan tambahan untuk balita sejak awal "
                  "tahun."),
    ("pendidikan", "Atap ruang kelas empat sekolah dasar bocor dan plafonnya hampir runtuh, murid belajar di "
                   "teras."),
    ("pendidikan", "Sekolah meminta sumbangan pembangunan pagar dengan jumlah yang ditentukan, orang tua yang "
                   "tidak mampu merasa tertekan."),
    ("pendidikan", "Buku paket kurikulum baru belum dibagikan, siswa kelas tujuh harus memfotokopi sendiri."),
    ("pendidikan", "Guru honorer di sekolah terpencil belum menerima honor selama tiga bulan, beberapa kelas "
                   "kosong tanpa pengajar."),
    ("transportasi", "Lampu lalu lintas di simpang lima mati sejak tiga hari, lalu lintas macet dan rawan "
                     "kecelakaan."),
    ("transportasi", "Angkutan kota trayek pasar ke terminal sering menurunkan penumpang di tengah jalan dan "
                     "menarik ongkos lebih mahal dari tarif resmi."),
    ("transportasi", "Rambu batas kecepatan di depan sekolah hilang dan zebra cross sudah pudar, kendaraan "
                     "melaju kencang saat jam pulang."),
    ("transportasi", "Parkir liar di bahu jalan depan pusat perbelanjaan menyebabkan antrean kendaraan sampai "
                     "ke bundaran."),
    ("bantuan-sosial", "Keluarga kurang mampu di RT kami tidak terdaftar sebagai penerima bantuan pangan, "
                       "sementara rumah yang bagus justru menerima."),
    ("bantuan-sosial", "Beras bantuan yang dibagikan di kantor desa berkutu dan berbau apek."),
    ("bantuan-sosial", "Pencairan bantuan langsung tunai dipotong oleh oknum pendamping dengan alasan biaya "
                       "administrasi."),
    ("bantuan-sosial", "Lansia yang tinggal sendiri tidak bisa datang ke kantor pos untuk mengambil bantuan dan "
                       "tidak ada petugas yang mengantar."),
    ("bencana", "Permukiman kami kebanjiran setiap hujan deras karena saluran air tersumbat sampah."),
    ("bencana", "Tanah di lereng bukit belakang permukiman retak setelah hujan tiga hari, warga takut terjadi "
                "longsor susulan."),
    ("bencana", "Abrasi pantai sudah mencapai badan jalan desa nelayan, tanggul darurat dari karung pasir jebol "
                "lagi."),
    ("bencana", "Pohon besar tumbang menimpa kabel listrik dan menutup jalan kecamatan sejak semalam, belum ada "
                "petugas yang datang."),
    ("ketertiban", "Balap liar setiap malam minggu di jalan lingkar, suaranya sangat bising dan membahayakan "
                   "pengguna jalan."),
    ("ketertiban", "Pedagang kaki lima menutup seluruh trotoar di depan stasiun, pejalan kaki terpaksa turun "
                   "ke jalan raya."),
    ("ketertiban", "Tempat hiburan malam di dekat permukiman memutar musik keras sampai dini hari setiap akhir "
                   "pekan."),
    ("ketertiban", "Sekelompok pemuda mabuk sering berkumpul di pos ronda dan mengganggu warga yang lewat."),
    ("administrasi-kependudukan", "Sudah dua bulan mengurus KTP elektronik di kantor kecamatan tetapi selalu "
                                  "dijawab blangko habis."),
    ("administrasi-kependudukan", "Akta kelahiran anak kami salah tulis tanggal lahir dan untuk perbaikannya "
                                  "diminta datang ke kantor dinas berkali-kali."),
    ("administrasi-kependudukan", "Antrean layanan kartu keluarga di dinas dukcapil dibatasi lima puluh nomor "
                                  "per hari, warga dari desa jauh pulang tanpa dilayani."),
    ("administrasi-kependudukan", "Permohonan pindah domisili secara daring tidak diproses walaupun semua "
                                  "berkas sudah diunggah sejak bulan lalu."),
    ("pelayanan-publik", "Petugas di loket pelayanan perizinan meminta uang pelicin agar berkas cepat diproses."),
    ("pelayanan-publik", "Air PDAM di kompleks kami mati hampir setiap hari dan tagihannya tetap naik."),
    ("pelayanan-publik", "Penerangan jalan umum di sepanjang jalan poros desa padam sejak sebulan, rawan "
                         "pencurian dan begal."),
    ("pelayanan-publik", "Kantor kelurahan sering tutup sebelum jam pelayanan berakhir, surat pengantar tidak "
                         "bisa diurus."),
]
DESCRIPTIONS = [d for _, d in COMPLAINTS]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its reaped children, from /proc (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy (all cores), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for pid {pid}")


def bench_line(figures: dict[str, Any]) -> str:
    """The last line of a benchmark's output: `BENCH ` and one JSON object, for comparing runs."""
    def clean(value: Any) -> Any:
        if isinstance(value, float):
            return None if value != value else round(value, 4)  # NaN -> null
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        return value

    return "BENCH " + json.dumps(clean(figures), separators=(",", ":"), sort_keys=True)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return numerator / denominator


# --- worker processes by role ----------------------------------------------------------------------------------

ROLES = ("cases", "projection", "sla", "all")


def pythonpath() -> str:
    return os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)


def worker_env(settings: Settings) -> dict[str, str]:
    """The environment of one worker process: these settings, its own web and metrics ports."""
    env = settings_env(settings.model_copy(update={"worker_web_port": free_port(),
                                                   "worker_metrics_port": free_port()}))
    env["PYTHONPATH"] = pythonpath()
    return env


@functools.cache
def _worker_help() -> str:
    env = {**os.environ, "PYTHONPATH": pythonpath()}
    return subprocess.run([sys.executable, "-m", "aduan.cli", "worker", "--help"], capture_output=True, text=True,
                          env=env, timeout=60).stdout


def roles_supported() -> bool:
    """Whether this checkout's `aduan worker` takes `--role cases|projection|sla|all`."""
    return "--role" in _worker_help()


def start_worker(settings: Settings, logs: Path, name: str, role: str = "all", loglevel: str = "warn",
                 sla_timer: bool = True) -> Process:
    """`aduan worker --role ROLE`, or plain `aduan worker` (every role in one process) where the CLI has no
    roles yet: `Process.role` says which ran. Callers that need a role alone must make sure the other roles
    find nothing to do (topics of their own, empty) when it is "all". A `cases` worker with `sla_timer`
    False leaves the SLA timer to a worker of role `sla` (`--no-sla-timer`)."""
    if role not in ROLES:
        raise ValueError(f"no worker role {role!r}")
    args = [sys.executable, "-m", "aduan.cli", "worker", f"--loglevel={loglevel}"]
    ran = role
    if roles_supported():
        args.append(f"--role={role}")
        if role == "cases" and not sla_timer and "--no-sla-timer" in _worker_help():
            args.append("--no-sla-timer")
    else:
        ran = "all"
    proc = Process(f"{name}-{ran}", args, worker_env(settings), logs)
    proc.role = ran  # type: ignore[attr-defined]
    return proc


def wait_for_changelogs(settings: Settings, procs: list[Process], timeout_s: float = 120) -> None:
    """Until the case workers made their tables' changelog topics. A worker of role sla (or projection) started
    before them can leave the broker to create the alarms changelog, with one partition, on its metadata
    request (auto.create.topics.enable): the case agent then stops on faust's PartitionsMismatch. So the case
    workers start first, and the others once these topics exist."""
    import time

    from kafka.admin import KafkaAdminClient

    wanted = {f"{settings.app_id}-alarms-changelog", f"{settings.app_id}-cases-changelog"}
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap.split(","))
    try:
        deadline = time.monotonic() + timeout_s
        while not wanted <= set(admin.list_topics()):
            for p in procs:
                if not p.alive():
                    raise RuntimeError(f"{p.name} exited before making its changelogs:\n{p.tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {', '.join(sorted(wanted))} after {timeout_s:.0f} s")
            time.sleep(0.2)
    finally:
        admin.close()


def stop_process(proc: Process, sig: signal.Signals = signal.SIGTERM, timeout_s: float = 30) -> float:
    """Send `sig` to the process's pid, wait for it to exit (SIGKILL after timeout_s), close its log; seconds."""
    import time

    started = time.monotonic()
    if proc.alive():
        proc.proc.send_signal(sig)
        try:
            proc.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            print(f"  {proc.name} did not exit {timeout_s:.0f} s after {sig.name}: SIGKILL", flush=True)
            proc.proc.kill()
            proc.proc.wait(10)
    took = time.monotonic() - started
    proc.stop()  # closes its log
    return took


# --- clean-up -------------------------------------------------------------------------------------------------

def cleanup(kafka_bootstrap: str, es_hosts: list[str], stems: list[str]) -> None:
    """Delete every topic, consumer group and index whose name starts with one of `stems` (this run's)."""
    from elasticsearch import Elasticsearch
    from kafka.admin import KafkaAdminClient

    from tests.support import delete_indices

    stems = [s for s in stems if s]
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap.split(","))
    try:
        topics = [t for t in admin.list_topics() if t.startswith(tuple(stems))]
        if topics:
            admin.delete_topics(topics)
        groups = []
        for g in admin.list_groups():
            group_id = g.get("group_id") if isinstance(g, dict) else g[0]
            if group_id and group_id.startswith(tuple(stems)):
                groups.append(group_id)
        if groups:
            admin.delete_groups(groups)
    finally:
        admin.close()
    es = Elasticsearch(es_hosts)
    try:
        for stem in stems:
            delete_indices(es, stem)
    finally:
        es.close()


def remove_faust_dirs(stems: list[str]) -> None:
    """faust's data folders of this run's app ids (var/faust/<app id> in the checkout, for workers that keep
    them there)."""
    import shutil

    folder = REPO_ROOT / "var" / "faust"
    for stem in stems:
        if stem:
            for path in folder.glob(f"{stem}*"):
                shutil.rmtree(path, ignore_errors=True)


def case_sealer(settings):
    """The sealer the intake writes submissions with (their personal fields under each case's new data key, in
    the settings' accounts database), for events a benchmark puts on Kafka itself; None in a checkout from
    before producers/sealing.py, whose submissions are written in clear."""
    try:
        from aduan.bootstrap import ensure_accounts_schema
        from producers.sealing import sealer_for
    except ImportError:
        return None
    ensure_accounts_schema(settings)
    return sealer_for(settings)


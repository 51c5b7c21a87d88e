"""Public hand-labelled Instagram account sets, read into the classifier's input contract.

Each loader returns a pandas frame with the ``clout fraud classify`` input columns the set has
(the others absent, so they add no evidence) plus ``is_fake`` (bool). Sources, licences and
sizes (also in the README, "Calibration on real accounts"):

* ``srf``: SRF Data, "Identifying a Large Number of Fake Followers on Instagram" (2017),
  https://github.com/srfdata/2017-10-instagram-influencers, file
  ``analysis/input/labelled_1000_inclprivate.csv``: 975 of the newest followers of ten Swiss
  influencers, labelled fake or real by two journalists independently (98 fake). Licence
  CC BY-SA 4.0, so a derived copy (usernames and profile URLs dropped, username length and
  digit count kept) ships as ``tests/data/srf_followers_labelled.csv`` under the same licence.
  Columns: posts, following, followers, profile picture, private, username.
* ``instafake``: Akyon & Kalfaoglu, "Instagram Fake and Automated Account Detection" (ASYU
  2019), https://github.com/fcakyon/instafake-dataset, files ``data/fake-v1.0/
  fakeAccountData.json`` (200 fake) and ``realAccountData.json`` (994 real). The
  repository states no licence, so it is not redistributed here: :func:`fetch` (or the two
  ``curl`` lines in the README) puts it under ``$FRAUD_LABELLED_DATA/instafake/``. Columns: posts,
  followers, following, profile picture, private, biography length, username length and digit
  count.
* ``kaggle``: "Instagram fake spammer genuine accounts" (Bardiya Bakhshandeh, Kaggle
  ``free4ever1/instagram-fake-spammer-genuine-accounts``, crawled 15-19 March 2019, labelled
  by hand), files ``train.csv`` (576 accounts, 288 fake) and ``test.csv`` (120, 60 fake). Its
  licence could not be checked from this machine (Kaggle is not reachable), so it is not
  redistributed either: put the two files under ``$FRAUD_LABELLED_DATA/kaggle/`` (``kaggle
  datasets download -d`` :data:`KAGGLE_DATASET`). Columns: posts, followers, following,
  profile picture, private, description length and the username's digit share (only the
  share: :func:`load_kaggle` encodes it as digits per 100 characters, which is all the
  classifier reads of the two username columns). Its full-name columns and external URL have
  no input in the classifier's contract and are left out.

No set records account age, so the age weights are not fitted (see
:class:`~pipeline.fraud.classify.EvidenceWeights`).
"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import pandas as pd

__all__ = [
    "DATA_ENV",
    "KAGGLE_DATASET",
    "NAMES",
    "SOURCES",
    "SRF_COMMITTED",
    "data_dir",
    "fetch",
    "load",
    "load_instafake",
    "load_kaggle",
    "load_srf",
]

#: Environment variable naming the folder that holds fetched data sets.
DATA_ENV = "FRAUD_LABELLED_DATA"
#: The derived SRF Data set shipped with the tests (CC BY-SA 4.0).
SRF_COMMITTED = (
    Path(__file__).resolve().parents[2] / "tests" / "data" / "srf_followers_labelled.csv"
)

#: The Kaggle data set's identifier (``kaggle datasets download -d KAGGLE_DATASET``).
KAGGLE_DATASET = "free4ever1/instagram-fake-spammer-genuine-accounts"
#: Every labelled set :func:`load` knows, in the order the calibration reports them.
NAMES: tuple[str, ...] = ("srf", "instafake", "kaggle")

_RAW = "https://raw.githubusercontent.com"
#: name -> (files to fetch as (url, relative path), licence)
SOURCES: dict[str, tuple[list[tuple[str, str]], str]] = {
    "instafake": (
        [
            (f"{_RAW}/fcakyon/instafake-dataset/master/data/fake-v1.0/{f}", f"instafake/{f}")
            for f in ("fakeAccountData.json", "realAccountData.json")
        ],
        "none stated (all rights reserved): fetch, do not commit",
    ),
    "srf": (
        [
            (
                f"{_RAW}/srfdata/2017-10-instagram-influencers/master/analysis/input/"
                "labelled_1000_inclprivate.csv",
                "srf/labelled_1000_inclprivate.csv",
            )
        ],
        "CC BY-SA 4.0 (a derived copy is in tests/data)",
    ),
}


def data_dir() -> Path:
    """``$FRAUD_LABELLED_DATA``, else ``~/.cache/clout/fraud-data``."""
    return Path(os.environ.get(DATA_ENV) or Path.home() / ".cache" / "clout" / "fraud-data")


def fetch(dest: Path | None = None, names: tuple[str, ...] = tuple(SOURCES)) -> list[Path]:
    """Download the named sets' files into ``dest`` (default :func:`data_dir`); returns them."""
    root = Path(dest) if dest is not None else data_dir()
    got = []
    for name in names:
        for url, rel in SOURCES[name][0]:
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            with urllib.request.urlopen(url, timeout=60) as resp:  # noqa: S310 (fixed https URLs)
                path.write_bytes(resp.read())
            got.append(path)
    return got


def _flag(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip().str.upper().isin(["TRUE", "1", "YES"])


def load_srf(path: Path | None = None) -> pd.DataFrame:
    """SRF Data's labelled followers: the original CSV or the derived copy in tests/data."""
    frame = pd.read_csv(path if path is not None else SRF_COMMITTED)
    if "Username" not in frame.columns:  # the derived copy: already in the input contract
        return frame.assign(is_fake=_flag(frame["is_fake"]))
    name = frame["Username"].astype(str)
    return pd.DataFrame(
        {
            "follower_count": frame["Number.of.followers"],
            "following_count": frame["Number.of.people.they.follow"],
            "media_count": frame["Number.of.posts"],
            "has_profile_pic": _flag(frame["has_profile_picture"]),
            "is_private": _flag(frame["Private.account"]),
            "username_length": name.str.len(),
            "username_digit_count": name.str.count(r"\d"),
            "is_fake": _flag(frame["rating"]),
        }
    )


def load_instafake(path: Path) -> pd.DataFrame:
    """The InstaFake fake-v1.0 set from the folder holding its two JSON files."""
    path = Path(path)
    if not (path / "fakeAccountData.json").is_file() and (path / "data" / "fake-v1.0").is_dir():
        path = path / "data" / "fake-v1.0"  # a clone of the whole repository
    parts = [
        pd.DataFrame(json.loads((path / f).read_text()))
        for f in ("fakeAccountData.json", "realAccountData.json")
    ]
    raw = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(
        {
            "follower_count": raw["userFollowerCount"],
            "following_count": raw["userFollowingCount"],
            "media_count": raw["userMediaCount"],
            "has_profile_pic": raw["userHasProfilPic"] == 1,
            "is_private": raw["userIsPrivate"] == 1,
            "biography_length": raw["userBiographyLength"],
            "username_length": raw["usernameLength"],
            "username_digit_count": raw["usernameDigitCount"],
            "is_fake": raw["isFake"] == 1,
        }
    )


def load_kaggle(path: Path) -> pd.DataFrame:
    """The Kaggle set from the folder holding its ``train.csv`` and/or ``test.csv`` (both, in
    that order, when present)."""
    path = Path(path)
    files = [path / f for f in ("train.csv", "test.csv") if (path / f).is_file()]
    if not files:
        raise FileNotFoundError(f"{path}: neither train.csv nor test.csv")
    raw = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    share = raw["nums/length username"].astype(float).clip(0.0, 1.0)
    return pd.DataFrame(
        {
            "follower_count": raw["#followers"],
            "following_count": raw["#follows"],
            "media_count": raw["#posts"],
            "has_profile_pic": raw["profile pic"] == 1,
            "is_private": raw["private"] == 1,
            "biography_length": raw["description length"],
            # only the share is published: 100 characters with that many digits per 100
            "username_length": 100,
            "username_digit_count": (share * 100).round().astype("int64"),
            "is_fake": raw["fake"] == 1,
        }
    )


def load(name: str, root: Path | None = None) -> pd.DataFrame | None:
    """A set by name: ``srf`` (fetched original if present, else the shipped copy),
    ``instafake`` or ``kaggle`` (None when it has not been fetched)."""
    base = Path(root) if root is not None else data_dir()
    if name == "srf":
        original = base / "srf" / "labelled_1000_inclprivate.csv"
        return load_srf(original if original.is_file() else None)
    if name == "instafake":
        folder = base / "instafake"
        return load_instafake(folder) if (folder / "fakeAccountData.json").is_file() else None
    if name == "kaggle":
        folder = base / "kaggle"
        present = any((folder / f).is_file() for f in ("train.csv", "test.csv"))
        return load_kaggle(folder) if present else None
    raise ValueError(f"unknown data set {name!r} (known: {', '.join(NAMES)})")


if __name__ == "__main__":  # python -m pipeline.fraud.datasets [DEST]: fetch every set
    import sys

    dest = Path(sys.argv[1]) if len(sys.argv) > 1 else data_dir()
    for fetched in fetch(dest):
        print(fetched)
    print(
        f"kaggle: not fetched (Kaggle needs an account): kaggle datasets download -d "
        f"{KAGGLE_DATASET} --unzip -p {dest / 'kaggle'}"
    )

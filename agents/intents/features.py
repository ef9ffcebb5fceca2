"""Features for the fast intent tier: Kiwi morphemes plus spacing-free character n-grams.

Text is first put in a canonical spoken form (numbers and English spelled in Hangul, no
punctuation, lower case) so typed chat text and ASR transcripts land on the same features.
Character n-grams are taken with all spaces removed, so ASR spacing errors change nothing.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from agents.intents.spelling import spell_out

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

__all__ = ["IntentFeaturizer", "canonical_text", "char_text", "kiwi", "morpheme_tokens"]

_PUNCT = re.compile(r"[^\w\s]+")
_SKIP_TAGS = frozenset({"SF", "SP", "SS", "SSO", "SSC", "SE", "SO", "SW", "SWK", "W_EMOJI"})
_CONTENT_TAGS = frozenset({"NNG", "NNP", "NR", "VV", "VA", "XR", "MAG", "SL", "SH", "SN"})
# Interjections: kept as unigrams ("네" alone is a backchannel, i.e. `other`), but left out
# of bigrams so a filler between two words does not break their pair.
_FILLER_TAGS = frozenset({"IC"})

_kiwi: Kiwi | None = None
_kiwi_lock = threading.Lock()


def kiwi() -> Kiwi:
    """The process-wide Kiwi analyzer, built on first use (1-2 s) and then reused."""
    global _kiwi
    if _kiwi is None:
        with _kiwi_lock:
            if _kiwi is None:
                from kiwipiepy import Kiwi

                # 0 = analyse on the calling thread (no pool); kiwipiepy warns that 0 changed
                # meaning in 0.21, which is exactly the meaning we want. The multi-word
                # dictionary (12 MB) roughly doubles the start-up every worker pays and
                # changed no token of the training, eval or ASR-noised sets (2,684 texts).
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    analyzer = Kiwi(num_workers=0, load_multi_dict=False)
                analyzer.tokenize("워밍업")  # the first call loads the language model lazily
                _kiwi = analyzer
    return _kiwi


def canonical_text(text: str) -> str:
    """NFKC, spoken-form numbers and English, no punctuation, single spaces, lower case."""
    text = unicodedata.normalize("NFKC", text)
    text = spell_out(text)
    return re.sub(r"\s+", " ", _PUNCT.sub(" ", text)).strip().lower()


def char_text(text: str) -> str:
    """Canonical text with every space removed, for spacing-insensitive character n-grams."""
    return re.sub(r"\s+", "", canonical_text(text))


def morpheme_tokens(text: str) -> list[str]:
    """Kiwi lemma/tag pairs, tag-free content lemmas and lemma bigrams of one utterance."""
    canonical = canonical_text(text)
    if not canonical:
        return []
    analyzer = kiwi()
    with _kiwi_lock:  # one analyzer shared by threads; a call takes about a millisecond
        tokens = analyzer.tokenize(canonical)
    lemmas: list[str] = []
    features: list[str] = []
    for token in tokens:
        tag = token.tag.split("-")[0]
        if tag in _SKIP_TAGS:
            continue
        lemma = token.lemma or token.form
        features.append(f"{lemma}/{tag}")
        if tag in _FILLER_TAGS:
            continue
        if tag in _CONTENT_TAGS:
            features.append(f"c:{lemma}")
        lemmas.append(lemma)
    features.extend(f"b:{left}_{right}" for left, right in zip(lemmas, lemmas[1:], strict=False))
    return features


def _char_document(text: str) -> str:
    """Spacing-free text between utterance-boundary marks, so one-syllable replies get n-grams."""
    return f"<{char_text(text)}>"


def _pretokenized(tokens: list[str]) -> list[str]:
    """Identity analyzer: a module-level function so fitted vectorizers pickle."""
    return tokens


@dataclass(frozen=True)
class _BlockLookup:
    """One fitted TF-IDF block as plain dicts: term -> (column, idf)."""

    columns: dict[str, tuple[int, float]]
    weight: float

    @classmethod
    def of(cls, vectorizer: TfidfVectorizer, *, offset: int, weight: float) -> _BlockLookup:
        idf = vectorizer.idf_
        vocabulary = vectorizer.vocabulary_
        columns = {term: (offset + int(col), float(idf[col])) for term, col in vocabulary.items()}
        return cls(columns=columns, weight=weight)

    def weigh(self, counts: Counter[str]) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """Sublinear TF times IDF, L2-normalised, times the block weight (sklearn's recipe)."""
        hits = [(self.columns[t], n) for t, n in counts.items() if t in self.columns]
        if not hits:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float64)
        index = np.fromiter((col for (col, _), _ in hits), dtype=np.intp, count=len(hits))
        values = np.fromiter(
            ((1.0 + math.log(n)) * idf for (_, idf), n in hits), dtype=np.float64, count=len(hits)
        )
        values *= self.weight / np.linalg.norm(values)
        return index, values


class IntentFeaturizer:
    """TF-IDF over morpheme features and character 2-4-grams, stacked side by side."""

    def __init__(self, *, char_weight: float = 1.0, morph_weight: float = 1.0) -> None:
        self.char_weight = char_weight
        self.morph_weight = morph_weight
        self._morph = TfidfVectorizer(analyzer=_pretokenized, sublinear_tf=True, min_df=1)
        self._char = TfidfVectorizer(
            analyzer="char", ngram_range=(2, 4), sublinear_tf=True, min_df=2, lowercase=False
        )
        self._lookup: tuple[_BlockLookup, _BlockLookup] | None = None

    def fit(self, texts: Sequence[str]) -> IntentFeaturizer:
        """Learn both vocabularies and IDF weights."""
        self.fit_transform(texts)
        return self

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """One row per text; each block is L2-normalised, then weighted."""
        morph: Any = self._morph.transform([morpheme_tokens(text) for text in texts])
        chars: Any = self._char.transform([_char_document(text) for text in texts])
        return self._stack(morph, chars)

    def fit_transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Fit, then transform the same texts (each text is analysed once)."""
        self._lookup = None
        morph: Any = self._morph.fit_transform([morpheme_tokens(text) for text in texts])
        chars: Any = self._char.fit_transform([_char_document(text) for text in texts])
        return self._stack(morph, chars)

    def _stack(self, morph: Any, chars: Any) -> sparse.csr_matrix:
        stacked = sparse.hstack(
            [morph * self.morph_weight, chars * self.char_weight], format="csr", dtype=np.float64
        )
        return sparse.csr_matrix(stacked)

    def vectorize_one(self, text: str) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        """Sparse (column indexes, values) of one text, equal to `transform([text])`.

        The single-utterance path of the live graph: plain dict look-ups instead of
        scikit-learn's per-call validation, about five times faster on one short text.
        """
        if self._lookup is None:
            self._lookup = (
                _BlockLookup.of(self._morph, offset=0, weight=self.morph_weight),
                _BlockLookup.of(
                    self._char, offset=len(self._morph.vocabulary_), weight=self.char_weight
                ),
            )
        morph, chars = self._lookup
        counts_m = Counter(morpheme_tokens(text))
        joined = _char_document(text)
        counts_c = Counter(
            joined[i : i + n] for n in range(2, 5) for i in range(len(joined) - n + 1)
        )
        index_m, value_m = morph.weigh(counts_m)
        index_c, value_c = chars.weigh(counts_c)
        return np.concatenate([index_m, index_c]), np.concatenate([value_m, value_c])

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_lookup"] = None  # rebuilt on first use; keeps the pickle small
        return state

    @property
    def dimensions(self) -> int:
        """Number of features after fitting."""
        return len(self._morph.vocabulary_) + len(self._char.vocabulary_)

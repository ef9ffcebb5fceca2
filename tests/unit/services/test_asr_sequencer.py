from services.asr import ChunkSequencer, Offer, UtteranceOrderer


def test_redelivered_chunks_are_dropped() -> None:
    seq = ChunkSequencer()
    assert seq.offer(0, b"a", False) is Offer.ACCEPTED
    assert [c.seq for c in seq.ready()] == [0]
    assert seq.offer(0, b"a", False) is Offer.DUPLICATE
    assert seq.offer(2, b"c", False) is Offer.ACCEPTED
    assert seq.offer(2, b"c", False) is Offer.DUPLICATE
    assert seq.ready() == []


def test_out_of_order_chunks_wait_for_the_hole() -> None:
    seq = ChunkSequencer()
    for n in (2, 1, 3):
        seq.offer(n, bytes([n]), n == 3)
    assert seq.ready() == []
    seq.offer(0, b"\x00", False)
    ready = seq.ready()
    assert [c.seq for c in ready] == [0, 1, 2, 3] and ready[-1].last and seq.ended
    assert seq.offer(4, b"", False) is Offer.DUPLICATE  # nothing after `last`


def test_hole_is_skipped_when_too_much_waits() -> None:
    seq = ChunkSequencer(max_pending=3)
    seq.offer(0, b"", False)
    seq.ready()
    for n in (2, 3, 4):
        seq.offer(n, b"", False)
    assert seq.ready() == []
    seq.offer(5, b"", False)
    ready = seq.ready()
    assert [c.seq for c in ready] == [2, 3, 4, 5] and ready[0].gap_before == 1


def test_missing_start_is_recognised() -> None:
    seq = ChunkSequencer(max_pending=2)
    seq.offer(7, b"", False)
    assert not seq.would_skip_start()
    assert seq.would_skip_start(force=True)
    seq.offer(8, b"", False)
    seq.offer(9, b"", False)
    assert seq.would_skip_start()


def test_orderer_releases_by_start_only_when_final() -> None:
    order: UtteranceOrderer[str] = UtteranceOrderer(["customer", "agent"])
    order.add("agent", 300, "a1")
    assert order.release({"customer": 100, "agent": 900}) == []  # customer may still start at 100
    order.add("customer", 200, "c1")
    assert order.release({"customer": 250, "agent": 900}) == ["c1"]
    assert order.release({"customer": 299, "agent": 900}) == []
    assert order.release({"customer": 301, "agent": 900}) == ["a1"]


def test_orderer_ties_go_to_the_first_channel() -> None:
    order: UtteranceOrderer[str] = UtteranceOrderer(["customer", "agent"])
    order.add("agent", 100, "a")
    order.add("customer", 100, "c")
    assert order.release({"customer": float("inf"), "agent": float("inf")}) == ["c", "a"]
    order.add("customer", 500, "c2")
    # the agent may still start at 500, but it would sort after the customer anyway
    assert order.release({"customer": 600, "agent": 500}) == ["c2"]

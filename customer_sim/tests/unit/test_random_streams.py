import hashlib

from customer_sim.simulation.random_streams import RandomStreams, stream_seed


def draws(streams: RandomStreams, name: str, n: int = 5) -> list[float]:
    return [streams[name].random() for _ in range(n)]


def test_a_stream_is_a_function_of_seed_and_name():
    assert draws(RandomStreams(1), "arrivals") == draws(RandomStreams(1), "arrivals")
    assert draws(RandomStreams(1), "arrivals") != draws(RandomStreams(2), "arrivals")
    assert draws(RandomStreams(1), "arrivals") != draws(RandomStreams(1), "budgets")


def test_asking_twice_for_a_name_continues_the_same_stream():
    streams = RandomStreams(3)
    first = streams["timing"].random()
    second = streams["timing"].random()
    fresh = RandomStreams(3)
    assert [fresh["timing"].random(), fresh["timing"].random()] == [first, second]


def test_drawing_more_from_one_stream_does_not_move_another():
    quiet, busy = RandomStreams(42), RandomStreams(42)
    for _ in range(1000):
        busy["budgets"].gauss(0, 1)  # e.g. a new budget model drawing more numbers
    assert draws(quiet, "arrivals", 20) == draws(busy, "arrivals", 20)


def test_the_seed_does_not_depend_on_pythons_salted_hash():
    # The documented derivation: the first 8 bytes of SHA-256("<seed>:<name>"), big-endian.
    expected = int.from_bytes(hashlib.sha256(b"42:arrivals").digest()[:8], "big")
    assert stream_seed(42, "arrivals") == expected
    assert 0 <= stream_seed(0, "x") < 2**64

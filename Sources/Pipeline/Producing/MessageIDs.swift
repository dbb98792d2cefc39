import Synthea

/// Unique `ce_id`s without a system call per message: version-4-shaped UUIDs from a generator
/// seeded once from the system's entropy.
struct MessageIDs {
    private var random: SeededRandom

    init() {
        var system = SystemRandomNumberGenerator()
        random = SeededRandom(seed: system.next())
    }

    mutating func next() -> String { random.uuid() }
}

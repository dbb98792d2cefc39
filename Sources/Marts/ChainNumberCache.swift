import State

/// The chain numbers (``EncounterChains``) one connection found or gave, so that most
/// encounters find their chain's number without a query. A rollback forgets them all (the
/// rows it undid may be numbered differently next time); past ``limit`` chains it starts over.
final class ChainNumberCache {
    /// A chain's columns (``EncounterChains/columns``) by a 128-bit digest of them: two of
    /// Swift's SipHash, seeded at random for each process, apart by their first byte. A key is
    /// 16 bytes in the table itself, where three Strings were three more allocations to reach
    /// and compare on every look-up (at 6,000 patients about 48,000 chains, well beyond the
    /// CPU's caches). Two chains share a digest with a probability of about n² / 2¹²⁹
    /// (10⁻²⁵ for ten million chains), and `emr verify` checks every encounter's chain number
    /// against its columns (``EncounterChains/checkName``).
    private struct Chain: Hashable {
        let first: Int
        let second: Int

        init(patient: String, organization: String, className: String) {
            var first = Hasher(), second = Hasher()
            first.combine(UInt8(0))
            second.combine(UInt8(1))
            first.combine(patient)
            first.combine(organization)
            first.combine(className)
            second.combine(patient)
            second.combine(organization)
            second.combine(className)
            self.first = first.finalize()
            self.second = second.finalize()
        }

        func hash(into hasher: inout Hasher) { hasher.combine(first) }
    }

    private var numbers: [Chain: Int64] = [:]
    /// Chains kept at most (about 32 bytes each).
    static let limit = 500_000

    /// A cache that forgets what `database` rolls back.
    init(database: SQLiteDatabase) {
        database.observeRollbacks { [weak self] in self?.numbers = [:] }
    }

    /// The number of the chain of these values of ``EncounterChains/columns``, given one if it
    /// has none; NULL when a part is NULL (as ``EncounterChains/number(of:in:)``).
    func number(of values: [SQLiteValue], in database: SQLiteDatabase) throws -> SQLiteValue {
        guard case .text(let patient) = values[0], case .text(let organization) = values[1], case .text(let className) = values[2] else {
            return try EncounterChains.number(of: values, in: database)
        }
        let chain = Chain(patient: patient, organization: organization, className: className)
        if let number = numbers[chain] { return .integer(number) }
        let number = try EncounterChains.number(of: values, in: database)
        if numbers.count >= Self.limit { numbers = [:] }
        numbers[chain] = number.int
        return number
    }
}

import State

/// The chain numbers (``EncounterChains``) one connection found or gave, so that most
/// encounters find their chain's number without a query. A rollback forgets them all (the
/// rows it undid may be numbered differently next time); past ``limit`` chains it starts over.
final class ChainNumberCache {
    /// A chain's columns (``EncounterChains/columns``).
    private struct Chain: Hashable {
        let patient: String
        let organization: String
        let className: String
    }

    private var numbers: [Chain: Int64] = [:]
    /// Chains kept at most (about 200 bytes each).
    static let limit = 100_000

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

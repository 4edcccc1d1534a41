import Foundation
import KarmayogiCore
import PostgresNIO
import SQLKit
import SQLiteKit
import SQLiteNIO

/// A row read by position, without Codable: what a report reads a million of. Each room's bulk reader builds its
/// query with SQLKit as always and reads its columns here by index, in the order it selected them.
struct Cells {
    fileprivate enum Storage {
        case sqlite([SQLiteColumn])
        case postgres(PostgresRandomAccessRow)
    }
    fileprivate let storage: Storage

    func string(_ index: Int) throws -> String? {
        switch storage {
        case .sqlite(let columns):
            switch columns[index].data {
            case .null: return nil
            case .text(let text): return text
            case .integer(let number): return String(number)
            case .float(let number): return String(number)
            case .blob(let buffer): return String(buffer: buffer)
            }
        case .postgres(let row): return try row[index].decode(String?.self)
        }
    }

    func uuid(_ index: Int) throws -> UUID? {
        switch storage {
        case .sqlite(let columns):
            switch columns[index].data {
            case .null: return nil
            case .text(let text):
                guard let id = UUIDText.parse(text) else { throw CellError(column: columns[index].name, expected: "an id") }
                return id
            case .blob(let buffer) where buffer.readableBytes == 16:
                return buffer.getBytes(at: buffer.readerIndex, length: 16).map { bytes in
                    UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
                }
            default: throw CellError(column: columns[index].name, expected: "an id")
            }
        case .postgres(let row): return try row[index].decode(UUID?.self)
        }
    }

    /// An id the column never lacks (a key).
    func id(_ index: Int) throws -> UUID {
        guard let id = try uuid(index) else { throw CellError(column: "\(index)", expected: "an id (it is empty)") }
        return id
    }

    func int(_ index: Int) throws -> Int? {
        switch storage {
        case .sqlite(let columns):
            switch columns[index].data {
            case .null: return nil
            case .integer(let number): return Int(number)
            case .float(let number): return Int(number)
            default: throw CellError(column: columns[index].name, expected: "a whole number")
            }
        case .postgres(let row): return try row[index].decode(Int?.self)
        }
    }

    func double(_ index: Int) throws -> Double? {
        switch storage {
        case .sqlite(let columns):
            switch columns[index].data {
            case .null: return nil
            case .integer(let number): return Double(number)
            case .float(let number): return number
            default: throw CellError(column: columns[index].name, expected: "a number")
            }
        case .postgres(let row): return try row[index].decode(Double?.self)
        }
    }

    func bool(_ index: Int) throws -> Bool? {
        switch storage {
        case .sqlite: return try int(index).map { $0 != 0 }
        case .postgres(let row): return try row[index].decode(Bool?.self)
        }
    }

    /// SQLite keeps an instant as seconds since 1970 (how SQLiteKit writes a `Date`).
    func date(_ index: Int) throws -> Date? {
        switch storage {
        case .sqlite: return try double(index).map { Date(timeIntervalSince1970: $0) }
        case .postgres(let row): return try row[index].decode(Date?.self)
        }
    }

    struct Unreadable: Error, CustomStringConvertible {
        var description: String
    }

    struct CellError: Error, CustomStringConvertible {
        var column: String
        var expected: String
        var description: String { "column \(column) does not hold \(expected)" }
    }
}

extension SQLDatabase {
    /// Runs a query and reads each row by position (see `Cells`), on SQLite or PostgreSQL.
    func rows<T: Sendable>(_ query: any SQLExpression, _ read: @escaping @Sendable (Cells) throws -> T) async throws -> [T] {
        // SQLite's writer queue passes reads through to the database beneath it (serialized with its quick dialect).
        if let sqlite = (self as? QueuedDatabase)?.base as? any SQLiteDatabase ?? self as? any SQLiteDatabase {
            let found = Found<T>()
            try await sqlite.run(query, serializedFor: self) { row in
                guard found.error == nil else { return }
                do { found.rows.append(try read(Cells(storage: .sqlite(row.columns)))) } catch { found.error = error }
            }
            if let error = found.error { throw error }
            return found.rows
        }
        var serializer = SQLSerializer(database: self)
        query.serialize(to: &serializer)
        let (sql, binds) = (serializer.sql, serializer.binds)
        guard let postgres = self as? any PostgresDatabase else {
            throw Cells.Unreadable(description: "rows are read by position on SQLite and PostgreSQL only")
        }
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds {
            switch bind {
            case let value as UUID: bindings.append(value)
            case let value as String: bindings.append(value)
            case let value as Int: bindings.append(value)
            case let value as Double: bindings.append(value)
            case let value as Bool: bindings.append(value)
            case let value as Date: bindings.append(value)
            default: throw Cells.Unreadable(description: "a \(type(of: bind)) cannot be bound in a query read by position")
            }
        }
        let query = PostgresQuery(unsafeSQL: sql, binds: bindings)
        let logger = self.logger
        return try await postgres.withConnection { connection in
            connection.eventLoop.makeFutureWithTask {
                var found: [T] = []
                for try await row in try await connection.query(query, logger: logger) {
                    found.append(try read(Cells(storage: .postgres(row.makeRandomAccess()))))
                }
                return found
            }
        }.get()
    }
}

extension SQLiteDatabase {
    /// Runs a query through the connection's own query, which hands each row over on the database's thread: the
    /// pool's query (which SQLiteKit and Fluent take) sends every row to the event loop as a task of its own.
    func run(_ query: any SQLExpression, serializedFor database: any SQLDatabase, _ onRow: @escaping @Sendable (SQLiteRow) -> Void) async throws {
        var serializer = SQLSerializer(database: database)
        query.serialize(to: &serializer)
        let encoder = SQLiteDataEncoder()
        let (text, binds) = (serializer.sql, try serializer.binds.map { try Self.data(for: $0, encoder) })
        if let level = database.queryLogLevel { database.logger.log(level: level, "Executing query", metadata: ["sql": .string(text)]) }
        try await withConnection { connection in try await connection.query(text, binds, onRow) }
    }

    /// A bound value as SQLite keeps it: the common types directly, as `SQLiteDataEncoder` would write them (it tries a
    /// dynamic cast per value and renders ids through `UUID.uuidString`'s formatter), the rest through the encoder.
    private static func data(for value: any Encodable & Sendable, _ encoder: SQLiteDataEncoder) throws -> SQLiteData {
        switch value {
        case let id as UUID: .text(UUIDText.uppercase(id))
        case let text as String: .text(text)
        case let number as Int: .integer(number)
        case let number as Double: .float(number)
        case let date as Date: .float(date.timeIntervalSince1970)
        case let flag as Bool: .integer(flag ? 1 : 0)
        default: try encoder.encode(value)
        }
    }
}

/// What a query found, filled on the database's thread one row after another and read once the query is over
/// (its end is awaited, which orders the writes before the read): no lock per row.
private final class Found<T>: @unchecked Sendable {
    var rows: [T] = []
    var error: (any Error)?
}

/// Whether a table has changed since a cache was filled, asked in one indexed look-up: its latest `updated_at` and its
/// number of rows (a delete moves no timestamp). Each room asks it of its own table.
struct ChangeSignature: Equatable, Sendable, Decodable {
    var latest: Date?
    var rows: Int

    static func of(_ table: String, on database: any SQLDatabase) async throws -> ChangeSignature {
        try await database.select()
            .column(SQLFunction("MAX", args: SQLColumn("updated_at")), as: "latest")
            .column(SQLFunction("COUNT", args: SQLLiteral.all), as: "rows")
            .from(table).first(decoding: ChangeSignature.self) ?? ChangeSignature(latest: nil, rows: 0)
    }

    /// Whether what changed since `known` can be read as the rows updated at or after its latest: nothing went backwards
    /// and no row is gone.
    func followsOn(_ known: ChangeSignature?) -> Date? {
        guard let known, let held = known.latest, let latest, latest >= held, rows >= known.rows else { return nil }
        return held
    }
}

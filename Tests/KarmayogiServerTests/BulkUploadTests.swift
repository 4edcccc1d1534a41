import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
@testable import KarmayogiServer

@Suite struct BulkUploadTests {
    static let sheet = """
        name,email,phone,employee_id,designation,state,district,language
        Asha Verma,asha.verma@test.example.org,+91 98290 12345,E-1,Section Officer,Rajasthan,Jaipur,hi
        Ravi Kumar,ravi.kumar@test.example.org,,E-2,Under Secretary,Madhya Pradesh,Bhopal,
        ,no-name@test.example.org,,E-3,,,,
        Bad Email,not-an-email,,E-4,,,,
        Nowhere,nowhere@test.example.org,,E-5,,Atlantis,,
        Twice,asha.verma@test.example.org,,E-6,,,,
        "=HYPERLINK(""http://evil"")",formula@test.example.org,,E-7,,,,
        Known,learner.mha@test.example.org,,E-8,,,,
        Short,row
        """

    @Test func onboardsValidRowsAndReportsEachBadOne() async throws {
        try await withApp { app, world in
            let token = try await app.token("mdo.mha")
            // MUT
            let accepted = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/users/bulk", token: token, body: Self.sheet, contentType: .init(type: "text", subType: "csv"))
            // validate
            #expect(accepted.status == .accepted)
            let id = try #require(accepted.json["id"] as? String)
            #expect(["queued", "running", "completed"].contains(accepted.json["status"] as? String))
            let done = try await app.finishedUpload("/api/v1/orgs/\(world.mha)/users/bulk/\(id)", token: token)
            #expect(done.json["status"] as? String == "completed")
            #expect(done.json["total"] as? Int == 9)
            #expect(done.json["done"] as? Int == 9)
            #expect(done.json["created"] as? Int == 3)
            #expect(done.json["skipped"] as? Int == 0)
            #expect(done.json["failed"] as? Int == 6)
            let errors = done.json["errors"] as? [[String: Any]] ?? []
            let byLine = Dictionary(grouping: errors, by: { $0["line"] as? Int ?? 0 })
            #expect(byLine[4]?.first?["column"] as? String == "name")
            #expect(byLine[5]?.first?["column"] as? String == "email")
            #expect(byLine[6]?.first?["column"] as? String == "state")
            #expect((byLine[7]?.first?["reason"] as? String)?.contains("duplicate in file") == true)
            #expect((byLine[9]?.first?["reason"] as? String)?.contains("duplicate in database") == true)
            #expect((byLine[10]?.first?["reason"] as? String)?.contains("columns") == true)

            let asha = try #require(try await User.query(on: app.db).filter(\.$email == "asha.verma@test.example.org").first())
            #expect(asha.status == .pending && asha.passwordHash == nil)
            #expect(asha.phone == "9829012345" && asha.language == "hi" && asha.stateCode == 8 && asha.districtCode != nil)
            let formula = try #require(try await User.query(on: app.db).filter(\.$email == "formula@test.example.org").first())
            #expect(formula.name == "=HYPERLINK(\"http://evil\")", "stored as text, as given")
            #expect(try await OutboxMessage.query(on: app.db).filter(\.$kind == "activation").count() == 3)
        }
    }

    @Test func theSameFileTwiceCreatesNobodyTwice() async throws {
        try await withApp { app, world in
            let token = try await app.token("mdo.mha")
            let csv = "name,email\nOne,one@test.example.org\nTwo,two@test.example.org\n"
            for round in 0..<2 {
                let accepted = try await app.send(.POST, "/api/v1/orgs/\(world.mhaDepartment)/users/bulk", token: token, body: csv, contentType: .init(type: "text", subType: "csv"))
                let done = try await app.finishedUpload("/api/v1/orgs/\(world.mhaDepartment)/users/bulk/\(accepted.json["id"] as! String)", token: token)
                #expect(done.json["created"] as? Int == (round == 0 ? 2 : 0))
                #expect(done.json["skipped"] as? Int == (round == 0 ? 0 : 2))
            }
            #expect(try await User.query(on: app.db).filter(\.$email ~~ ["one@test.example.org", "two@test.example.org"]).count() == 2)
            #expect(try await OutboxMessage.query(on: app.db).count() == 2)
        }
    }

    @Test func multipartWithAByteOrderMarkWorks() async throws {
        try await withApp { app, world in
            let token = try await app.token("national")
            let boundary = "----karmayogi"
            let body = "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"staff.csv\"\r\nContent-Type: text/csv\r\n\r\n\u{FEFF}Name,Email,State,District\nमीना देवी,meena@test.example.org,8,Jaipur\r\n--\(boundary)--\r\n"
            let accepted = try await app.send(.POST, "/api/v1/orgs/\(world.rajasthan)/users/bulk", token: token, body: body,
                                              contentType: .init(type: "multipart", subType: "form-data", parameters: ["boundary": boundary]))
            #expect(accepted.status == .accepted)
            #expect(accepted.json["fileName"] as? String == "staff.csv")
            let done = try await app.finishedUpload("/api/v1/orgs/\(world.rajasthan)/users/bulk/\(accepted.json["id"] as! String)", token: token)
            #expect(done.json["created"] as? Int == 1)
            #expect(try await User.query(on: app.db).filter(\.$email == "meena@test.example.org").first()?.name == "मीना देवी")
        }
    }

    @Test func unreadableFilesAreRefusedWholeAndStoreNothing() async throws {
        try await withApp { app, world in
            let token = try await app.token("mdo.mha")
            let path = "/api/v1/orgs/\(world.mha)/users/bulk"
            let csv = HTTPMediaType(type: "text", subType: "csv")
            let noHeader = try await app.send(.POST, path, token: token, body: "Asha,asha@test.example.org\n", contentType: csv)
            #expect(noHeader.status == .unprocessableEntity && noHeader.fields == ["file"])
            #expect((noHeader.json["detail"] as? String)?.contains("line 1") == true)
            let empty = try await app.send(.POST, path, token: token, body: "", contentType: csv)
            #expect(empty.status == .unprocessableEntity)
            var invalid = Data("name,email\nA,".utf8)
            invalid.append(contentsOf: [0xFF, 0xFE])
            var headers = HTTPHeaders()
            headers.bearerAuthorization = BearerAuthorization(token: token)
            headers.contentType = csv
            var status: HTTPStatus = .ok
            try await app.testing().test(.POST, path, headers: headers, body: ByteBuffer(data: invalid)) { status = $0.status }
            #expect(status == .unprocessableEntity)
            let json = try await app.send(.POST, path, token: token, json: ["rows": []])
            #expect(json.status == .unsupportedMediaType)
            #expect(try await BulkUpload.query(on: app.db).count() == 0)
        }
    }

    @Test func uploadsStayWithinScope() async throws {
        try await withApp { app, world in
            let csv = HTTPMediaType(type: "text", subType: "csv")
            let other = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/users/bulk", token: try await app.token("mdo.health"),
                                           body: "name,email\nA,a@test.example.org", contentType: csv)
            #expect(other.status == .notFound)
            let learner = try await app.send(.POST, "/api/v1/orgs/\(world.mhaDepartment)/users/bulk", token: try await app.token("learner.mha"),
                                             body: "name,email\nA,a@test.example.org", contentType: csv)
            #expect(learner.status == .forbidden)
            let token = try await app.token("mdo.mha")
            let accepted = try await app.send(.POST, "/api/v1/orgs/\(world.mha)/users/bulk", token: token, body: "name,email\nA,a@test.example.org", contentType: csv)
            let id = accepted.json["id"] as! String
            _ = try await app.finishedUpload("/api/v1/orgs/\(world.mha)/users/bulk/\(id)", token: token)
            #expect(try await app.send(.GET, "/api/v1/orgs/\(world.mha)/users/bulk/\(id)", token: try await app.token("mdo.health")).status == .notFound)
            #expect(try await app.send(.GET, "/api/v1/orgs/\(world.health)/users/bulk/\(id)", token: try await app.token("national")).status == .notFound)
        }
    }

    @Test func anUploadWhoseNodeDiedIsTakenOverAndCountsOnce() async throws {
        try await withApp { app, world in
            let token = try await app.token("mdo.mha")
            let rows = (0..<2500).map { "Person \($0),person\($0)@test.example.org" }.joined(separator: "\n")
            let upload = try await BulkUploads.accept(Array("name,email\n\(rows)".utf8), fileName: "big.csv", into: world.mha,
                                                      by: try #require(try await Principal.load(userID: world.users["mdo.mha"]!, on: app.db)),
                                                      app: app, on: app.db)
            await app.jobs.wait(forSubject: upload.id!)
            #expect(try await Jobs.state(of: OnboardingJobs.kind, subject: upload.id!, on: app.db)?.status == .done)
            // As if another node had claimed it, written the first batch and died: the upload is running with its file,
            // and the dead node's lease has run out.
            let stored = try #require(try await BulkUpload.find(upload.id!, on: app.db))
            stored.status = .running
            stored.content = Data("name,email\n\(rows)".utf8)
            try await stored.save(on: app.db)
            try await User.query(on: app.db).filter(\.$email ~~ (1000..<2500).map { "person\($0)@test.example.org" }).delete()
            let sql = app.db as! any SQLDatabase
            try await sql.update(Jobs.table).set("status", to: SQLBind("running")).set("claimed_by", to: SQLBind("a-node-that-died"))
                .set("lease_until", to: SQLBind(Date().addingTimeInterval(60))).where("subject_id", .equal, SQLBind(upload.id!)).run()
            // While its lease holds, nobody takes it.
            await app.jobs.claimWhatFits(app: app)
            await app.jobs.wait(forSubject: upload.id!)
            #expect(try await Jobs.state(of: OnboardingJobs.kind, subject: upload.id!, on: app.db)?.claimed_by == "a-node-that-died")
            try await sql.update(Jobs.table).set("lease_until", to: SQLBind(Date().addingTimeInterval(-1))).where("subject_id", .equal, SQLBind(upload.id!)).run()
            await app.jobs.claimWhatFits(app: app)
            let done = try await app.finishedUpload("/api/v1/orgs/\(world.mha)/users/bulk/\(upload.id!)", token: token)
            #expect(done.json["created"] as? Int == 2500)
            #expect(done.json["skipped"] as? Int == 0)
            #expect(try await User.query(on: app.db).filter(\.$bulkUploadID == upload.id!).count() == 2500)
            await app.jobs.wait(forSubject: upload.id!)
            let job = try #require(try await Jobs.state(of: OnboardingJobs.kind, subject: upload.id!, on: app.db))
            #expect(job.status == .done && job.claimed_by == nil && job.attempts == 2)
        }
    }
}

@Suite struct JobTests {
    @Test func aJobIsClaimedByOneNodeAtATimeAndReturnsWhenItsNodeStops() async throws {
        try await withBareApp { app in
            let subject = UUID()
            let now = Date()
            let id = try await Jobs.enqueue("test", subject: subject, at: now, on: app.db)
            // Adding it again while it waits changes nothing.
            #expect(try await Jobs.enqueue("test", subject: subject, at: now, on: app.db) == id)
            let first = try await Jobs.claim(kinds: ["test"], by: "node-a", lease: 30, at: now, on: app.db)
            #expect(first?.id == id && first?.subject == subject && first?.attempts == 1)
            #expect(try await Jobs.claim(kinds: ["test"], by: "node-b", lease: 30, at: now.addingTimeInterval(29), on: app.db) == nil)
            #expect(try await Jobs.claim(kinds: ["other"], by: "node-b", lease: 30, at: now.addingTimeInterval(60), on: app.db) == nil)
            // Renewed, it holds past its first end; not renewed, another node takes it, and the first can no longer renew.
            #expect(try await Jobs.renew(id, by: "node-a", lease: 30, at: now.addingTimeInterval(20), on: app.db))
            #expect(try await Jobs.claim(kinds: ["test"], by: "node-b", lease: 30, at: now.addingTimeInterval(45), on: app.db) == nil)
            let taken = try await Jobs.claim(kinds: ["test"], by: "node-b", lease: 30, at: now.addingTimeInterval(51), on: app.db)
            #expect(taken?.id == id && taken?.attempts == 2)
            #expect(try await Jobs.renew(id, by: "node-a", lease: 30, at: now.addingTimeInterval(52), on: app.db) == false)
            // The first node's late word on how it ended does not touch the job it lost.
            try await Jobs.release(id, by: "node-a", as: .done, at: now.addingTimeInterval(53), on: app.db)
            #expect(try await Jobs.state(of: "test", subject: subject, on: app.db)?.status == .running)
            // A stopping node puts it back, and the next claim gets it at once.
            try await Jobs.release(id, by: "node-b", as: .queued, at: now.addingTimeInterval(54), on: app.db)
            #expect(try await Jobs.claim(kinds: ["test"], by: "node-c", lease: 30, at: now.addingTimeInterval(55), on: app.db)?.id == id)
            try await Jobs.release(id, by: "node-c", as: .done, at: now.addingTimeInterval(56), on: app.db)
            #expect(try await Jobs.claim(kinds: ["test"], by: "node-c", lease: 30, at: now.addingTimeInterval(57), on: app.db) == nil)
            // Work for the subject again: the ended job is queued again.
            try await Jobs.enqueue("test", subject: subject, at: now.addingTimeInterval(58), on: app.db)
            #expect(try await Jobs.state(of: "test", subject: subject, on: app.db)?.status == .queued)
        }
    }

    @Test func concurrentClaimsNeverShareAJob() async throws {
        try await withBareApp { app in
            let now = Date()
            for _ in 0..<20 { try await Jobs.enqueue("test", subject: UUID(), at: now, on: app.db) }
            let claimed = try await withThrowingTaskGroup(of: [UUID].self) { group in
                for node in 0..<4 {
                    group.addTask {
                        var mine: [UUID] = []
                        while let job = try await Jobs.claim(kinds: ["test"], by: "node-\(node)", lease: 30, at: now, on: app.db) { mine.append(job.id) }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(claimed.count == 20 && Set(claimed).count == 20)
        }
    }
}

@Suite struct ParallelUploadTests {
    @Test func twentyParallelUploadsAllCompleteAndNobodyIsMadeTwice() async throws {
        try await withApp { app, world in
            let token = try await app.token("mdo.mha")
            let csv = HTTPMediaType(type: "text", subType: "csv")
            // Ten uploads of one file and ten of files of their own, all at once.
            let sheets: [String] = (0..<20).map { index in
                let group = index < 10 ? "same" : "own\(index)"
                return "name,email,designation\n" + (0..<25).map { "Person \($0),p\($0).\(group)@test.example.org,Section Officer" }.joined(separator: "\n")
            }
            let accepted = try await withThrowingTaskGroup(of: Reply.self) { group in
                for sheet in sheets {
                    group.addTask { try await app.send(.POST, "/api/v1/orgs/\(world.mha)/users/bulk", token: token, body: sheet, contentType: csv) }
                }
                return try await group.reduce(into: [Reply]()) { $0.append($1) }
            }
            #expect(accepted.allSatisfy { $0.status == .accepted }, "\(accepted.map(\.body))")
            var finals: [Reply] = []
            for reply in accepted {
                finals.append(try await app.finishedUpload(reply.headers.first(name: .location)!, token: token))
            }
            #expect(finals.allSatisfy { $0.json["status"] as? String == "completed" }, "\(finals.map(\.body))")
            #expect(!finals.contains { $0.body.contains("locked") })
            let created = finals.compactMap { $0.json["created"] as? Int }.reduce(0, +)
            #expect(created == 25 * 11, "25 people in the shared file once, and 25 in each of the ten others")
        }
    }
}

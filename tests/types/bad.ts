// Misuses of the generated declarations: every line ending in an "error:" comment must be a type
// error, and no other line may be.
import type { OrderItemsCreate, UsersCreate, UsersRecord, UsersUpdate } from "./schema";

const missingRequired: UsersCreate = { age: 3 }; // error: name is required
const wrongType: UsersCreate = { name: 5 }; // error: name is a string
const notInEnum: UsersCreate = { name: "a", role: "root" }; // error: role is "admin" | "user"
const notNullable: UsersCreate = { name: "a", tags: null }; // error: tags is not nullable
const unknownField: UsersCreate = { name: "a", nickname: "x" }; // error: no such field
const readonlyOnUpdate: UsersUpdate = { email: "new@example.com" }; // error: readonly
const nestedRequired: UsersCreate = { name: "a", address: { zip: "1" } }; // error: city required
const refNotString: OrderItemsCreate = { owner: 42 }; // error: a ref is an ID string
const badLine: OrderItemsCreate = { owner: "x", lines: [{ sku: "a" }] }; // error: qty required

function f(u: UsersRecord): number {
  return u.age; // error: may be null or undefined
}

export { missingRequired, wrongType, notInEnum, notNullable, unknownField, readonlyOnUpdate };
export { nestedRequired, refNotString, badLine, f };

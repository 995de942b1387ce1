// Correct uses of the generated declarations: must type-check with --strict.
import type {
  Collections,
  OrderItemsCreate,
  OrderItemsRecord,
  Ref,
  UsersCreate,
  UsersRecord,
  UsersUpdate,
} from "./schema";

const create: UsersCreate = { name: "Ada", email: "ada@example.com", age: null, tags: ["math"] };
const withAddress: UsersCreate = { name: "Bob", address: { city: "Paris" }, role: "admin" };
const update: UsersUpdate = { age: 37, role: "user" };
const empty: UsersUpdate = {};

function show(u: UsersRecord): string {
  const age: number | null | undefined = u.age;
  const role: "admin" | "user" = u.role; // defaulted: always present in a record
  const joined: string = u.joined;
  const city: string | undefined = u.address?.city;
  return `${u.id} ${u.name} ${age ?? "?"} ${role} ${joined} ${city ?? ""}`;
}

const owner: Ref<"users"> = "AAAAAAAAAAAAAAAAAAA";
const order: OrderItemsCreate = {
  owner,
  lines: [{ sku: "A-1", qty: 2, price: 9.5 }],
  extra: { anything: [1, 2, 3] },
};

function total(o: OrderItemsRecord): number {
  let sum = 0;
  for (const line of o.lines ?? []) sum += (line.price ?? 0) * line.qty;
  return o.paid ? 0 : sum;
}

type UserRecordFromMap = Collections["users"]["record"];
const same: UserRecordFromMap = {
  id: "x",
  name: "n",
  role: "user",
  joined: "2024-05-01 10:00:00.000Z",
};

export { create, withAddress, update, empty, show, order, total, same };

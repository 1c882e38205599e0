// lading's inventory layer: what the rest of lading imports.
export { Inventory, type InventoryFormat, type InventoryGroup, type InventoryHost, type LocatedValue, type ConnectionField } from "./inventory.js";
export { loadInventory, parseInventory, findInventoryFile, detectInventoryFormat, INVENTORY_FILE_NAMES } from "./load-inventory.js";
export { selectHosts, splitHostPattern, type SelectOptions } from "./host-pattern.js";
export { inventoryToAnsibleList, ansibleHostVars, isSecretVariableName, REDACTED, type AnsibleInventoryList } from "./ansible-list.js";
export { formatInventoryGraph } from "./inventory-graph.js";
export { expandHostRange, HostRangeError } from "./host-range.js";
export { DEFAULT_PORT, DEFAULT_USER, parseAnsibleBoolean } from "./resolve-inventory.js";

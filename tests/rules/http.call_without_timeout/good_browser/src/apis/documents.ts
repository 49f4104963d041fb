// A front-end helper imported by no server file (synthetic fixture).
export const fetchDocuments = async () => {
  const response = await fetch("http://localhost:5601/getDocuments", { mode: "cors" });
  return response.json();
};

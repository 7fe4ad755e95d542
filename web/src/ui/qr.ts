// The enrolment QR code as a data: SVG image (img-src 'self' data:).
import QRCode from "qrcode";

export async function qrImage(uri: string, alt: string): Promise<HTMLImageElement> {
  const svg = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
  const img = document.createElement("img");
  img.className = "qr";
  img.alt = alt;
  img.width = 200;
  img.height = 200;
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
  return img;
}

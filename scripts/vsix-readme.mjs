// Writes the README the .vsix carries: README.md with each image it shows from this repository
// inlined as a data: URI. VS Code's extension page renders an installed extension's README in a
// webview whose CSP is `img-src https: data:` and whose base is not the extension's folder, so a
// relative image never loads there; a data: image does (VS Code 1.100's sanitizer keeps data:
// images in the extension editor). GenLab has no public https home to point images at.
// `npm run package:vsix` runs this and hands the file to vsce's --readme-path; README.md itself,
// which GitHub and editors render with relative links, is left as it is.
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const VSIX_README = path.join(ROOT, 'dist', 'vsix-readme.md');

// vsce refuses SVG images in a README, so only the raster formats are inlined.
const MIME = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif' };

/** `![alt](target)` with a target that names no scheme (http:, data:, ...) and no fragment only. */
const RELATIVE_IMAGE = /(!\[[^\]]*\]\()(?![a-z][\w+.-]*:|#)([^)\s]+)\)/gi;

function inlineImages(markdown, baseDir) {
  return markdown.replace(RELATIVE_IMAGE, (_, opening, target) => {
    const file = path.resolve(baseDir, decodeURI(target));
    const mime = MIME[path.extname(file).toLowerCase()];
    if (!mime) throw new Error(`README.md shows ${target}: only PNG, JPEG and GIF images can ship inside the .vsix README (convert it, or link it by https)`);
    if (!fs.existsSync(file)) throw new Error(`README.md shows ${target}, which does not exist: fix the path or add the file`);
    return `${opening}data:${mime};base64,${fs.readFileSync(file).toString('base64')})`;
  });
}

fs.mkdirSync(path.dirname(VSIX_README), { recursive: true });
fs.writeFileSync(VSIX_README, inlineImages(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'), ROOT));
